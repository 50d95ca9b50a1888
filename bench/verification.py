"""Verification throughput next to the ceilings measured in the same run.

1. Offline: `Verifier.verify` of a full signed form with a bundle, next to raw ES256 signature
   verification (cryptography) of a signing input of the same size.
2. Online: `POST /api/v1/verify` under gunicorn (2 sync workers, SQLite, every request logged), next to
   a trivial Flask endpoint under the same gunicorn, both loaded by wrk on loopback for a fixed time.
3. QR: PNG renders per second with the registry's fixed mask pattern, next to `qrcode`'s defaults.

`python -m bench.verification`; needs wrk (Debian's wrk package) for part 2. With BENCH_DATABASE_URL
(say postgresql+psycopg://postgres@127.0.0.1:5432/test) part 2 runs on PostgreSQL, in a schema of its own.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import qrcode
import qrcode.constants
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from bench.common import registry_settings

ROUNDS = 3
PROJECT = Path(__file__).resolve().parent.parent


def rate(seconds: float, run: Callable[[], object]) -> float:
    """Calls per second of `run`, the median of ROUNDS timed loops of about `seconds` each."""
    rates = []
    for _ in range(ROUNDS):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            for _ in range(50):
                run()
            count += 50
        rates.append(count / elapsed)
    return statistics.median(rates)


def settings(workdir: Path) -> dict[str, str]:
    return registry_settings(
        workdir, "registry.sqlite3", REGISTRY_RATELIMIT_VERIFY="100000000/minute", REGISTRY_ISSUER="http://127.0.0.1"
    )


def prepare(config: dict[str, str]) -> tuple[str, str]:
    """A registry database with one certificate; returns its signed form and the verifier bundle."""
    from registry import create_app
    from registry.accesslog import init_log
    from registry.models import db
    from registry.principals import OPERATOR
    from registry.wiring import services
    from tests.factories import certificate_body, make_client, make_department, make_type

    app = create_app(config)
    with app.app_context():
        db.create_all()
        init_log(db.session)
        svc = services()
        department = make_department("Bench department")
        svc.keys.create(None, actor=OPERATOR)
        svc.keys.create(department, actor=OPERATOR)
        ctype = make_type([department])
        issuer = make_client("issuer", department)
        token = svc.access_tokens.issue(issuer)
        db.session.commit()
        type_code = ctype.code
    client = app.test_client()
    body = certificate_body(type_code)
    signed = client.post("/api/v1/certificates", json=body, headers={"Authorization": f"Bearer {token}"}).json
    bundle = client.get("/api/v1/verifier-bundle").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
    return signed["signed_form"], bundle


def offline(signed_form: str, bundle: str) -> tuple[float, float]:
    from verifiers import Verifier

    verifier = Verifier.from_bundle(bundle)
    signing_input = signed_form.split("~")[0].rsplit(".", 1)[0].encode()
    key = ec.generate_private_key(ec.SECP256R1())
    signature, public = key.sign(signing_input, ec.ECDSA(hashes.SHA256())), key.public_key()
    raw = rate(1.0, lambda: public.verify(signature, signing_input, ec.ECDSA(hashes.SHA256())))
    return raw, rate(1.0, lambda: verifier.verify(signed_form))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_and_load(app_ref: str, env: dict[str, str], body_file: Path, seconds: int) -> float:
    """Requests per second that wrk gets from `app_ref` under gunicorn, 2 sync workers, 16 connections."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_ref],
        cwd=PROJECT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        script = body_file.with_suffix(".lua")
        script.write_text(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = [[{body_file.read_text()}]]\n"
        )
        url = f"http://127.0.0.1:{port}/api/v1/verify"
        subprocess.run(["wrk", "-t2", "-c16", "-d1s", "-s", str(script), url], capture_output=True, check=True)  # warm
        out = subprocess.run(
            ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), url], capture_output=True, text=True, check=True
        ).stdout
        line = next(x for x in out.splitlines() if x.startswith("Requests/sec:"))
        if "Non-2xx" in out:
            raise RuntimeError(f"{app_ref} answered errors under load:\n{out}")
        return float(line.split()[1])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def qr_rates(text: str) -> tuple[float, float]:
    from registry.qr import render

    def default() -> None:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(text)
        code.make(fit=True)
        code.make_image().save(io.BytesIO(), format="PNG")

    ours = render.__wrapped__  # around the cache: every call renders
    return rate(1.0, default), rate(1.0, lambda: ours(text, "png"))


@contextlib.contextmanager
def database(workdir: Path) -> Iterator[str]:
    """SQLite in `workdir`, or with BENCH_DATABASE_URL a fresh schema of that PostgreSQL database."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        yield f"sqlite:///{workdir / 'registry.sqlite3'}"
        return
    from tests.factories import scratch_schema, with_search_path

    with scratch_schema(url, "bench") as schema:
        yield with_search_path(url, schema)


def main() -> None:
    seconds = int(os.environ.get("BENCH_SECONDS", "5"))
    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp)) as database_url:
        workdir = Path(tmp)
        config = settings(workdir)  # once: the served app must open the keys that prepare() made
        config["REGISTRY_DATABASE_URL"] = database_url
        backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        signed_form, bundle = prepare(config)
        raw, verified = offline(signed_form, bundle)
        print("verification, ES256, median of 3 rounds")
        print(f"  raw signature verification (cryptography)          {raw:9,.0f} /s  100%")
        print(f"  offline Verifier.verify (all 7 checks)              {verified:9,.0f} /s  {verified / raw:4.0%}")
        print(f"  offline / raw: {verified / raw:.0%} (target: at least 40%)")
        if shutil.which("wrk") is None:
            print("  online: wrk is missing (apt-get install wrk): not measured")
        else:
            body = workdir / "body.json"
            body.write_text(json.dumps({"token": signed_form}))
            trivial = serve_and_load("bench.trivial:app", {}, body, seconds)
            online = serve_and_load("wsgi:app", config, body, seconds)
            print(f"gunicorn, 2 sync workers, wrk 16 connections, {seconds} s each, loopback")
            print(f"  trivial Flask endpoint                               {trivial:9,.0f} req/s 100%")
            label = f"POST /api/v1/verify ({backend}, logged)"
            print(f"  {label:52} {online:9,.0f} req/s {online / trivial:4.0%}")
            print(f"  verify API / trivial: {online / trivial:.0%} (target: at least 50%)")
        default, ours = qr_rates(f"http://127.0.0.1/v/{signed_form.split('~')[0]}")
        print("QR PNG at error correction M (the full JWT, a larger code than a QR holds by default)")
        print(f"  qrcode defaults (8 mask trials)                      {default:9,.1f} /s  100%")
        print(f"  registry, fixed mask pattern                         {ours:9,.1f} /s  {ours / default:4.0%}")


if __name__ == "__main__":
    main()

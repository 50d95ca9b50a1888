"""Issuance throughput through the service layer next to the raw ceiling measured in the same run.

The raw ceiling is the best the machine does for the same work: an ES256 signature (cryptography, no
JOSE library) over a signing input of the same size plus a sqlite3 insert of a row of the same size,
committing every 1,000, in a tight loop. Between the two, the ladder shows what each layer costs:
the same claims as a JWS through PyJWT, then as an SD-JWT with the same disclosures.
`python -m bench.issuance [N]`; each figure is the median of 3 rounds.
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from unittest import mock

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from bench.common import ROUNDS, business_licences, median_rate, registry_settings

BATCH = 1000


def _sqlite_loop(workdir: Path, name: str, make_row: Callable[[int], str]) -> Callable[[int], None]:
    """A tight loop: make a signed row, insert it, commit every BATCH rows."""
    conn = sqlite3.connect(workdir / f"{name}.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE certs (id INTEGER PRIMARY KEY, identifier TEXT UNIQUE, signed_form TEXT)")

    def run(n: int) -> None:
        for done in range(0, n, BATCH):
            conn.execute("BEGIN")
            for _ in range(done, min(n, done + BATCH)):
                conn.execute(
                    "INSERT INTO certs (identifier, signed_form) VALUES (?, ?)",
                    (secrets.token_hex(16), make_row(0)),
                )
            conn.execute("COMMIT")

    return run


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    from issuers import sdjwt
    from issuers.atrest import Cipher
    from issuers.signing import jws_encode
    from registry import create_app
    from registry.accesslog import AccessLog, init_log
    from registry.models import Certificate, db
    from registry.principals import OPERATOR, Principal
    from registry.wiring import services
    from tests.factories import make_department, make_type

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        app = create_app(registry_settings(workdir, "service.sqlite3"))
        with app.app_context():
            db.create_all()
            init_log(db.session)
            svc = services()
            department = make_department("Bench department")
            svc.keys.create(department, actor=OPERATOR)
            ctype = make_type([department])
            code = department.credit_code
            issuer = Principal(role="issuer", client_id="bench", department_id=department.id)
            db.session.commit()
            requests = business_licences(ctype.code, BATCH)

            def service(count: int) -> None:
                for done in range(0, count, BATCH):
                    # As a request does: start from an empty session and look the department up.
                    db.session.expunge_all()
                    dept = svc.catalog.get_department(code)
                    svc.certificates.issue(dept, requests[: min(BATCH, count - done)], actor=issuer)
                    db.session.commit()

            service(BATCH)  # warm-up: loads the key, builds the field schema
            service_rate = median_rate(n, service)
            # The same with the access log switched off, to show what the log costs.
            with mock.patch.object(AccessLog, "record", lambda self, actor, events: None):
                no_log_rate = median_rate(n, service)
            # And with personal data stored in clear, to show what encryption at rest costs.
            with mock.patch.object(Cipher, "seal", lambda self, plaintext, column: plaintext):
                clear_rate = median_rate(n, service)

            # The same claims and disclosures as a certificate the service issued.
            sample = db.session.query(Certificate).first()
            assert sample is not None
            jwt_part, *disclosures, _ = sample.signed_form.split("~")
            claims = json.loads(_b64decode(jwt_part.split(".")[1]))
            core = {k: v for k, v in claims.items() if k not in ("_sd", "_sd_alg")}
            disclosable = {name: value for _, name, value in (json.loads(_b64decode(d)) for d in disclosures)}
            signer = svc.keys.signing_key(svc.catalog.get_department(code))
            signing_input = jwt_part.rsplit(".", 1)[0].encode()
            row_size = len(sample.signed_form)
            db.engine.dispose()

        key = ec.generate_private_key(ec.SECP256R1())
        filler = "x" * row_size

        def raw_row(_: int) -> str:
            key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
            return filler

        ladder = [
            ("raw ceiling: ES256 sign + sqlite3 insert", median_rate(n, _sqlite_loop(workdir, "raw", raw_row))),
            (
                "same claims as a JWS through PyJWT + insert",
                median_rate(n, _sqlite_loop(workdir, "jws", lambda _: jws_encode(claims, signer, "dc+sd-jwt"))),
            ),
            (
                f"same claims as an SD-JWT ({len(disclosable)} disclosures) + insert",
                median_rate(n, _sqlite_loop(workdir, "sdjwt", lambda _: sdjwt.issue(core, disclosable, signer))),
            ),
            ("service layer with the access log off", no_log_rate),
            ("service layer with personal data stored in clear", clear_rate),
            ("service layer: validate, identifier, SD-JWT, insert, access log", service_rate),
        ]

    ceiling = ladder[0][1]
    print(f"issuance of {n} certificates, ES256, SQLite (WAL, synchronous=NORMAL), commit per {BATCH}")
    print(f"signing input {len(signing_input)} B, stored row {row_size} B; median of {ROUNDS} rounds")
    for label, rate in ladder:
        print(f"  {label:62} {rate:9,.0f} /s  {rate / ceiling:5.0%}")
    print(f"service layer / raw ceiling: {service_rate / ceiling:.0%} (target: at least 50%)")
    print(f"the access log costs {1 - service_rate / no_log_rate:.0%} of issuance throughput (target: at most 25%)")
    print(f"encryption at rest costs {1 - service_rate / clear_rate:.0%} of issuance throughput")


if __name__ == "__main__":
    main()

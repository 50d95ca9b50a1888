"""The API against its own OpenAPI description: schemathesis, every check, as every role, on a served
registry with the demo world. Exit 0 only when no run finds a failure.

    python -m tests.contract.run [--max-examples N]

It starts a development registry on SQLite in a temporary folder (rate limits raised: the fuzzer is
not an attacker), mints a token per role, and runs schemathesis once per role and once anonymously.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.served import BIN, PROJECT, demo_registry, flask

ROLES = {  # who: how to get a token (demo clients, registry/demo.py)
    "admin": ("demo-admin", "demo-admin-secret"),
    "issuer": ("demo-market-issuer", "demo-market-secret"),
    "agency": ("demo-tax-agency", "demo-tax-secret"),
    "archivist": ("demo-archivist", "demo-archivist-secret"),
}


def token(base: str, client_id: str, secret: str) -> str:
    url = f"{base}/oauth/token"  # a local http URL this script built
    request = urllib.request.Request(url, data=b"grant_type=client_credentials", method="POST")  # noqa: S310
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a local URL we built
        return str(json.load(response)["access_token"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="contract-"))
    # The fuzzer is not an attacker: rate limits out of its way.
    limits = {
        "REGISTRY_RATELIMIT_VERIFY": "1000000/minute",
        "REGISTRY_RATELIMIT_TOKEN": "1000000/minute",
        "REGISTRY_RATELIMIT_LOG": "1000000/minute",
    }
    with demo_registry(workdir, **limits) as (base, env):
        holder = flask(env, "idp", "mint-holder-token", "--id", "11010519491231002X", "--name", "张三").strip()
        tokens = {role: token(base, *credentials) for role, credentials in ROLES.items()}
        tokens["holder"] = holder
        tokens["anonymous"] = ""
        totals: dict[str, str] = {}
        failed = False
        for role, bearer in tokens.items():
            command = [
                str(BIN / "schemathesis"),
                "--config-file",
                str(Path(__file__).with_name("schemathesis.toml")),
                "run",
                f"{base}/openapi.json",  # every check runs: schemathesis 4's default (see schemathesis.toml)
                "--max-examples",
                str(args.max_examples),
                # One worker: with two, hypothesis' source inspection (ast.parse) races between threads on
                # Python 3.11 and crashes the run ("AST constructor recursion depth mismatch"), not our API.
                "--workers",
                "1",
                "--no-color",
                "--suppress-health-check",
                "all",
                "--seed",
                str(args.seed),  # the same cases each run, so CI is not a lottery; change it to explore
            ]
            if bearer:
                command += ["-H", f"Authorization: Bearer {bearer}"]
            started = time.monotonic()
            run = subprocess.run(
                command,
                env={**env, "SCHEMATHESIS_HOOKS": "tests.contract.hooks"},
                cwd=PROJECT,
                capture_output=True,
                text=True,
            )
            summary = run.stdout[run.stdout.find("SUMMARY") :] if "SUMMARY" in run.stdout else run.stdout[-3000:]
            cases = re.search(r"(\d+) generated", run.stdout)
            totals[role] = (
                f"exit {run.returncode}, {cases.group(1) if cases else '?'} cases, {time.monotonic() - started:.0f} s"
            )
            print(f"== {role}: {totals[role]}", flush=True)
            if run.returncode:
                failed = True
                print(run.stdout[-20000:])
            else:
                print(summary.strip().splitlines()[-1] if summary.strip() else "")
        print("schemathesis per role: " + "; ".join(f"{r}: {t}" for r, t in totals.items()))
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

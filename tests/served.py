"""`make run`'s registry as a separate process, for checks that talk to it as outsiders do: migrated, set
up, the demo world loaded, served on a free loopback port, its environment shared with the caller's
commands (the `flask` CLI of the same instance)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def flask(env: dict[str, str], *args: str) -> str:
    """Run a `flask --app wsgi` command of the served registry; return its output or raise with it."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args], env=env, cwd=PROJECT, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def demo_registry(workdir: Path, **settings: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Serve a development registry with the demo world from `workdir`; yield its base URL and environment."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "REGISTRY_ENV": "development",
        "REGISTRY_INSTANCE_PATH": str(workdir / "instance"),
        "REGISTRY_KEYSTORE_DIR": str(workdir / "keys"),
        "REGISTRY_ISSUER": base,
        "REGISTRY_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(PROJECT),
        **settings,
    }
    env.pop("REGISTRY_DATABASE_URL", None)  # the SQLite file of `make run`
    for command in (["db", "upgrade"], ["setup"], ["demo", "load"]):
        flask(env, *command)
    server = subprocess.Popen(
        [str(BIN / "flask"), "--app", "wsgi", "run", "--port", str(port)],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"{base}/openapi.json", timeout=1):  # noqa: S310 - our local server
                    break
            except OSError:
                time.sleep(0.1)
        yield base, env
    finally:
        server.terminate()
        server.wait(timeout=10)

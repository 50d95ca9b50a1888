"""The README's walkthrough, run as written against a served registry: every shell block, in order, in a
fresh folder, with only the port changed. A walkthrough a newcomer cannot follow fails here."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served import BIN, PROJECT, demo_registry


def walkthrough_blocks() -> list[str]:
    readme = (PROJECT / "README.md").read_text()
    section = readme[readme.index("## Walkthrough") : readme.index("## The API in short")]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


@pytest.fixture
def served_registry(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with demo_registry(tmp_path) as served:
        yield served


def test_the_walkthrough_runs_as_written(served_registry: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    base, env = served_registry
    workdir = tmp_path / "newcomer"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(BIN.parent)  # the README's `.venv/bin/...`, from "this directory"
    script = "\n".join(walkthrough_blocks()).replace("http://127.0.0.1:5000", base)
    run = subprocess.run(
        ["/bin/bash", "-euo", "pipefail", "-c", script],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = run.stdout
    (tmp_path / "walkthrough.out").write_text(out + run.stderr)
    assert run.returncode == 0, out[-3000:] + run.stderr[-3000:]
    # What each step promises, in the order the README tells it.
    assert '"identifier": "1.2.156.3005.2.11310000002418230T001.11310000002418230T.' in out
    assert out.count('"valid":true') == 2  # the certificate online, then the annotated copy
    assert "signature    OK" in out and "status       OK" in out  # the offline check
    assert "certificate:share refused CONSENT_REQUIRED SH-TAX-REG-001" in out  # the holder sees the refusal
    assert "certificate:share ok None SH-TAX-REG-001" in out  # and the granted request
    assert out.count('"valid":false') == 1 and '"code":"SUSPENDED"' in out  # the check after suspension
    assert "OK: every entry gives its leaf, and the tree gives every signed root" in out  # flask audit verify
    assert not list(PROJECT.glob("certificate.json"))  # nothing written into the checkout

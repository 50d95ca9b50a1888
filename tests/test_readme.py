"""The README's walkthrough, run as written against a served registry: every shell block, in order, in a
fresh folder, with only the port changed. A walkthrough a newcomer cannot follow fails here."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served import BIN, PROJECT, demo_registry

# The sections that continue the walkthrough, in the README's order; the others show reference commands.
RUN = (
    "Walkthrough",
    "QR codes and the verification page",
    "The offline verifier",
    "Electronic seals on documents",
    "The archive",
)


def sections() -> dict[str, str]:
    readme = (PROJECT / "README.md").read_text()
    return {part.split("\n", 1)[0]: part for part in readme.split("\n## ")[1:]}


def walkthrough_blocks() -> list[str]:
    return [block for title in RUN for block in re.findall(r"```sh\n(.*?)```", sections()[title], re.S)]


def promised_outputs(title: str) -> list[str]:
    """The outputs a section shows (its `text` blocks), line by line."""
    return [line for block in re.findall(r"```text\n(.*?)```", sections()[title], re.S) for line in block.splitlines()]


@pytest.fixture
def served_registry(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with demo_registry(tmp_path) as served:
        yield served


def test_the_walkthrough_runs_as_written(served_registry: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    base, env = served_registry
    workdir = tmp_path / "newcomer"
    workdir.mkdir()
    for name in (".venv", "tests", "verifiers"):  # "in this directory": the checkout, read only
        (workdir / name).symlink_to(BIN.parent if name == ".venv" else PROJECT / name)
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
    verdicts = [line for line in out.splitlines() if '"claims":' in line]  # answers of POST /api/v1/verify
    assert [v.count('"valid":true') for v in verdicts] == [1, 1, 0]  # the certificate, the annotated copy
    assert "signature    OK" in out and "status       OK" in out  # the offline check
    assert "certificate:share refused CONSENT_REQUIRED SH-TAX-REG-001" in out  # the holder sees the refusal
    assert "certificate:share ok None SH-TAX-REG-001" in out  # and the granted request
    assert '"valid":false' in verdicts[2] and '"code":"SUSPENDED"' in verdicts[2]  # the check after suspension
    assert "OK: every entry gives its leaf, and the tree gives every signed root" in out  # flask audit verify
    assert not list(PROJECT.glob("certificate.json"))  # nothing written into the checkout

    # The outputs the README shows, line by line and in order (`…` stands for text it leaves out).
    lines = [line.rstrip("\r") for line in out.splitlines()]
    for title in ("The offline verifier", "Electronic seals on documents", "The archive"):
        assert_in_order(promised_outputs(title), lines, base)
    # The QR sizes it states: the counter code's version exactly; the disclosed one is at the edge of two
    # versions (the status slot's digits and the port's vary its length by a few characters).
    stated = [
        int(v)
        for v in re.findall(r"X-QR-Version: (\d+)", "\n".join(promised_outputs("QR codes and the verification page")))
    ]
    measured = [int(v) for v in re.findall(r"(?im)^x-qr-version: (\d+)", out)]
    assert measured[0] == stated[0] and abs(measured[1] - stated[1]) <= 1, (stated, measured)


def assert_in_order(promised: list[str], lines: list[str], base: str) -> None:
    at = 0
    for text in promised:
        pattern = re.compile(re.escape(text.replace("http://127.0.0.1:5000", base)).replace("…", ".*"))
        found = next((i for i in range(at, len(lines)) if pattern.fullmatch(lines[i])), None)
        assert found is not None, f"the README promises {text!r} after line {at} of the output"
        at = found + 1

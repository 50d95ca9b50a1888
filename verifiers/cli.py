"""certverify: check registry certificates offline with a signed bundle of keys and status lists.

    certverify bundle fetch https://registry.example -o bundle.json
    certverify check <token | verification URL | file with either | QR image> --bundle bundle.json [--max-age 3600]
    certverify check copy.sdjwt --annotation annotation.jwt --agency <credit code> --bundle bundle.json
    certverify stamp <document> --stamp <detached stamp or file> --bundle bundle.json
    certverify id 1.2.156.3005.2.<type code>.<issuing unit code>.<serial>.<version>.<check>
    certverify witness init --key witness.pem --name witness.example/w1
    certverify witness run https://registry.example --key witness.pem --name witness.example/w1 \
        --state witness.json --bundle bundle.json
    certverify archive check <package | series folder | export folder>... [--json] [--trust-kid KID]

`witness run` cosigns the registry's current checkpoint when it is consistent with the last one this
witness saw (state file), hands the cosignature in, and exits 0; it exits 1 and cosigns nothing when
the log forked, shrank or rewrote its history.

`archive check` checks archival packages (BagIt bags of a record and its evidence) for the four
properties of DA/T 70, authenticity, integrity, usability and security, and their series for gaps; it
exits 0 when all hold, 1 when one does not, 2 when there is nothing to check. It needs the `archive`
extra: pip install 'certificate-verifiers[archive]'.

`check` prints every check and exits 0 when the certificate is valid, 1 when it is not, 2 when it
could not check at all (no bundle, a bad bundle, unreadable input). `id` needs no bundle: it prints
an identifier's parts and exits 0 when it passes the national rule, 1 with the reason when not.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from verifiers import witness
from verifiers.bundle import dump_summary, read_bundle
from verifiers.errors import Check, InvalidBundle, InvalidCode, MalformedToken, StaleBundle, VerificationFailed
from verifiers.identifiers import ROOT, CertificateId
from verifiers.verify import VerifiedCopy, Verifier

if TYPE_CHECKING:
    from verifiers.archive import ArchiveReport, Problem

WARN_AGE = 24 * 3600  # without --max-age, an older bundle is used with a warning
BUNDLE_PATH = "/api/v1/verifier-bundle"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp")
# What the archive check's libraries log about a damaged package (with tracebacks) is in its report already.
ARCHIVE_LIBRARY_LOGGERS = ("bagit", "pypdf", "pyhanko", "pyhanko_certvalidator")


class UsageError(Exception):
    """The command could not run: exit 2."""


def _decode_qr(path: Path) -> str:
    try:
        from PIL import Image  # type: ignore[import-not-found,unused-ignore]
        from pyzbar.pyzbar import ZBarSymbol, decode
    except ImportError as e:
        raise UsageError(
            "reading QR images needs pyzbar and Pillow (pip install pyzbar pillow; apt install libzbar0)"
        ) from e
    # QR only: with every symbology on, zbar may also "find" a linear barcode in the pattern.
    found = decode(Image.open(path), symbols=[ZBarSymbol.QRCODE])
    if not found:
        raise UsageError(f"no QR code found in {path}")
    return str(found[0].data.decode("utf-8"))


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a token is longer than any file name may be
        return False


def presented_token(text: str) -> str:
    """What was presented, as the bare signed form: a token, a verification URL, or a file holding one."""
    path = Path(text)
    if _is_file(path):
        text = _decode_qr(path) if path.suffix.lower() in IMAGE_SUFFIXES else path.read_text().strip()
    return text.strip()


def _print_checks(checks: Sequence[Check]) -> None:
    for check in checks:
        verdict = "PASS" if check.passed else "FAIL"
        print(f"{check.name:12} {verdict}  {check.code}{'  ' + check.detail if check.detail else ''}")


class _Result(Protocol):
    @property
    def checks(self) -> list[Check]: ...


Checked = TypeVar("Checked", bound=_Result)


def _checked(what: str, run: Callable[[], Checked]) -> Checked | None:
    """Run a verification and print every check; None (after saying why) when it is not valid."""
    try:
        result = run()
    except VerificationFailed as e:
        _print_checks(e.checks)
        print(f"NOT VALID: {e.code}")
        return None
    except MalformedToken as e:
        print(f"NOT VALID: not a {what} ({e})")
        return None
    _print_checks(result.checks)
    return result


def fetch_bundle(registry: str, output: Path) -> None:
    url = registry.rstrip("/") + BUNDLE_PATH
    if not url.startswith(("https://", "http://")):
        raise UsageError("the registry's address must be an http(s) URL")
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - scheme checked above
        text = response.read().decode("utf-8")
    bundle = read_bundle(text)
    output.write_text(text)
    print(f"saved {output}: {dump_summary(bundle)}")


def _verifier(bundle_path: Path, max_age: float | None, trusted: Sequence[str]) -> Verifier:
    """A verifier from the bundle file: warn when it is old, raise StaleBundle past `max_age`."""
    try:
        bundle = read_bundle(bundle_path.read_text().strip(), trusted)
    except FileNotFoundError as e:
        raise UsageError(f"no bundle at {bundle_path}: run `certverify bundle fetch` first") from e
    age = bundle.age()
    if max_age is None and age > WARN_AGE:
        print(f"warning: the bundle is {age / 3600:.1f} hours old; fetch a new one or set --max-age", file=sys.stderr)
    return Verifier.from_bundle(bundle, max_age=max_age)


def check(
    presented: str,
    bundle_path: Path,
    max_age: float | None,
    trusted: Sequence[str],
    annotation: str | None = None,
    agency: str | None = None,
) -> int:
    """Check a certificate, or an annotated copy when `annotation` is given; print every check; 0 if valid."""
    verifier = _verifier(bundle_path, max_age, trusted)
    token = presented_token(presented)
    result = _checked(
        "certificate",
        lambda: (
            verifier.verify(token)
            if annotation is None
            else verifier.verify_copy(token, presented_token(annotation), agency)
        ),
    )
    if result is None:
        return 1
    for name, value in {
        **{k: v for k, v in result.claims.items() if not k.startswith("_")},
        **result.disclosed,
    }.items():
        print(f"  {name}: {value}")
    if isinstance(result, VerifiedCopy):
        note = result.annotation
        print(f"  copy for {note.agency} ({note.agency_name}), service item {note.service_item}: {note.reason}")
    print("VALID")
    return 0


def check_stamp(document: Path, stamp: str, bundle_path: Path, max_age: float | None, trusted: Sequence[str]) -> int:
    """Check a document against its detached stamp; print every check; 0 if valid."""
    verifier = _verifier(bundle_path, max_age, trusted)
    try:
        data = document.read_bytes()
    except FileNotFoundError as e:
        raise UsageError(f"no document at {document}") from e
    result = _checked("stamp", lambda: verifier.verify_stamp(presented_token(stamp), data))
    if result is None:
        return 1
    doc = result.claims.get("doc", {})
    print(f"  stamped by {result.claims.get('dept_name')} ({result.claims.get('dept')}): {doc.get('name')}")
    print("VALID")
    return 0


def check_identifier(text: str) -> int:
    """Print an identifier's parts and exit 0, or say what is wrong with it and exit 1."""
    try:
        ident = CertificateId.parse(text.strip())
    except InvalidCode as e:
        print(f"NOT VALID: {e.reason}")
        return 1
    print(f"root          {ROOT}")
    print(
        f"type code     {ident.type_code}  (defining authority {ident.type_code[:18]}, number {ident.type_code[18:]})"
    )
    print(f"issuing unit  {ident.issuer_code}")
    print(f"serial        {ident.serial}")
    print(f"version       {ident.version:03d}")
    print(f"check         {ident.check}  (ISO 7064 MOD 37,36)")
    print("VALID")
    return 0


def _http(url: str, body: bytes | None = None) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise UsageError("the registry's address must be an http(s) URL")
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - scheme checked above
        return bytes(response.read())


def witness_init(key_path: Path, name: str) -> int:
    if key_path.exists():
        raise UsageError(f"{key_path} exists: a witness keeps its key")
    print(f"{name}={witness.public_text(witness.new_key(key_path))}")
    return 0


def witness_run(
    registry: str, key_path: Path, name: str, state: Path, bundle_path: Path, trusted: Sequence[str]
) -> int:
    base = registry.rstrip("/")
    try:
        jwks = read_bundle(bundle_path.read_text().strip(), trusted).jwks
    except FileNotFoundError as e:
        raise UsageError(f"no bundle at {bundle_path}: run `certverify bundle fetch` first") from e
    observer = witness.Witness(name, witness.load_key(key_path), state, jwks)
    document = json.loads(_http(f"{base}/api/v1/log/checkpoint"))

    def consistency(old: int, new: int) -> list[bytes]:
        proof = json.loads(_http(f"{base}/api/v1/log/proof/consistency?old={old}&new={new}"))
        return [bytes.fromhex(h) for h in proof["consistency_path"]]

    try:
        line = observer.observe(document["signed"], consistency)
    except witness.WitnessRefused as e:
        print(f"REFUSED: {e}")
        return 1
    _http(f"{base}/api/v1/log/cosignatures", json.dumps({"size": document["size"], "cosignature": line}).encode())
    print(f"cosigned {document['origin']} at size {document['size']}")
    print(line)
    return 0


@contextlib.contextmanager
def _quiet(names: Sequence[str]) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def check_archive(paths: Sequence[Path], as_json: bool, trusted: Sequence[str]) -> int:
    """Check archival packages and their series; print the report; 0 when every property of every one holds."""
    try:
        from verifiers import archive
    except ImportError as e:
        extra = "pip install 'certificate-verifiers[archive]'"
        raise UsageError(f"checking archival packages needs the archive extra ({e.name} is missing): {extra}") from e
    with _quiet(ARCHIVE_LIBRARY_LOGGERS):
        try:
            report = archive.ArchiveChecker(trusted).check(paths)
        except archive.NoPackages as e:
            raise UsageError(str(e)) from e
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_archive(report, pinned=bool(trusted))
    return 0 if report.passed else 1


def _print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(f"      {problem.file or '-'}  {problem.code}  {problem.message}")


def _print_archive(report: ArchiveReport, pinned: bool) -> None:
    for package in report.packages:
        place = f"{package.ordinal} of {package.total or '?'}" if package.ordinal else "no ordinal"
        print(f"{package.path}  (series {package.series or '?'}, {place})")
        for name, problems in package.problems.items():
            print(f"  {name:13} {'FAIL' if problems else 'PASS'}")
            _print_problems(problems)
    for series in report.series:
        verdict = "FAIL" if series.problems else "PASS"
        print(f"series {series.series}  {verdict}  ({len(series.packages)} package(s) checked)")
        _print_problems(series.problems)
    kids = sorted({p.bundle_kid for p in report.packages if p.bundle_kid})
    if kids and not pinned:
        print(f"bundles trusted on their own say (not pinned), signed by {', '.join(kids)}: pin with --trust-kid")
    failed = sum(not p.passed for p in report.packages)
    gaps = sum(not s.passed for s in report.series)
    print(f"{len(report.packages)} package(s), {failed} failing; {len(report.series)} series, {gaps} failing")
    print("ARCHIVE VALID" if report.passed else "ARCHIVE NOT VALID")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="certverify", description="Check registry certificates offline.")
    commands = parser.add_subparsers(dest="command", required=True)
    bundle = commands.add_parser("bundle", help="bundles of keys and status lists").add_subparsers(
        dest="action", required=True
    )
    fetch = bundle.add_parser("fetch", help="download the registry's signed bundle")
    fetch.add_argument("registry", help="the registry's base URL")
    fetch.add_argument("-o", "--output", type=Path, default=Path("bundle.json"))
    checker = commands.add_parser("check", help="check a certificate")
    checker.add_argument("presented", help="token, verification URL, or a file (text or QR image) holding one")
    checker.add_argument("--bundle", type=Path, default=Path("bundle.json"))
    checker.add_argument("--max-age", type=float, help="fail, not warn, when the bundle is older (seconds)")
    checker.add_argument("--trust-kid", action="append", default=[], help="accept bundles signed by this key only")
    checker.add_argument("--annotation", help="an annotated copy's annotation (token or file): check the copy")
    checker.add_argument("--agency", help="with --annotation: the credit code of the agency using the copy")
    stamp = commands.add_parser("stamp", help="check a document against its detached stamp")
    stamp.add_argument("document", type=Path, help="the stamped file")
    stamp.add_argument("--stamp", required=True, help="the detached stamp (JWS), or a file holding it")
    stamp.add_argument("--bundle", type=Path, default=Path("bundle.json"))
    stamp.add_argument("--max-age", type=float, help="fail, not warn, when the bundle is older (seconds)")
    stamp.add_argument("--trust-kid", action="append", default=[], help="accept bundles signed by this key only")
    ident = commands.add_parser("id", help="check an e-license identifier against the national rule")
    ident.add_argument("identifier")
    witnessing = commands.add_parser("witness", help="witness the registry's access log").add_subparsers(
        dest="witness_command", required=True
    )
    init = witnessing.add_parser("init", help="make this witness's Ed25519 key; print its line for REGISTRY_WITNESSES")
    init.add_argument("--key", type=Path, required=True)
    init.add_argument("--name", required=True, help="a schema-less URL naming this witness")
    run = witnessing.add_parser("run", help="cosign the current checkpoint if it extends the last one seen")
    run.add_argument("registry", help="the registry's base URL")
    run.add_argument("--key", type=Path, required=True)
    run.add_argument("--name", required=True)
    run.add_argument("--state", type=Path, required=True, help="where this witness keeps the last tree it saw")
    run.add_argument("--bundle", type=Path, default=Path("bundle.json"), help="the registry's keys (signed bundle)")
    run.add_argument("--trust-kid", action="append", default=[], help="accept bundles signed by this key only")
    archiving = commands.add_parser("archive", help="archival packages").add_subparsers(
        dest="archive_command", required=True
    )
    archive_check = archiving.add_parser(
        "check", help="authenticity, integrity, usability and security of archival packages (DA/T 70)"
    )
    archive_check.add_argument("paths", nargs="+", type=Path, help="packages, series folders or export folders")
    archive_check.add_argument("--json", action="store_true", help="print the report as one JSON document")
    archive_check.add_argument(
        "--trust-kid", action="append", default=[], help="accept bundles signed by this key only"
    )
    args = parser.parse_args(argv)
    if args.command == "id":
        return check_identifier(args.identifier)
    try:
        if args.command == "bundle":
            fetch_bundle(args.registry, args.output)
            return 0
        if args.command == "witness" and args.witness_command == "init":
            return witness_init(args.key, args.name)
        if args.command == "witness":
            return witness_run(args.registry, args.key, args.name, args.state, args.bundle, args.trust_kid)
        if args.command == "archive":
            return check_archive(args.paths, args.json, args.trust_kid)
        if args.command == "stamp":
            return check_stamp(args.document, args.stamp, args.bundle, args.max_age, args.trust_kid)
        return check(args.presented, args.bundle, args.max_age, args.trust_kid, args.annotation, args.agency)
    except StaleBundle as e:
        print(f"NOT CHECKED: STALE_BUNDLE: {e}")
        return 1
    except (UsageError, InvalidBundle, OSError) as e:
        print(f"certverify: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Writing one archival package: a BagIt bag (RFC 8493) with SHA-256 and SHA-512 manifests.

A package is written aside (`.partial-<name>` in its series folder) and renamed into place when complete,
so a reader, or an export resumed after a crash, never sees half of one; the exporter flushes a batch of
packages to disk before it records them as filed. `verifiers.archive` checks them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import bagit

CHECKSUMS = ["sha256", "sha512"]
PARTIAL = ".partial-"
FORMAT = "registry-archive-package/1"


@dataclass(frozen=True, slots=True)
class PackageContents:
    """What goes into one package: its name, its place in a series, its bag-info fields and its files."""

    name: str  # the package's folder: certificate-<identifier> or document-<reference>
    series: str  # Bag-Group-Identifier: <department credit code>-<service item code>-<year>
    ordinal: int  # N of Bag-Count
    total: int | None  # T of Bag-Count; None ("?") while the series is open
    bag_info: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)  # path under data/ -> bytes


@dataclass(frozen=True, slots=True)
class WrittenPackage:
    path: Path
    sha256: str  # of the package's tagmanifest-sha256.txt, which pins every other file


def bag_count(ordinal: int, total: int | None) -> str:
    return f"{ordinal} of {total if total is not None else '?'}"


def write_package(contents: PackageContents, series_dir: Path) -> WrittenPackage:
    """Write the package into `series_dir`, replacing one of the same name (left by an interrupted export
    that wrote it but did not record it), and return where it is with its digest."""
    final = series_dir / contents.name
    aside = series_dir / f"{PARTIAL}{contents.name}"
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir(parents=True)
    try:
        for relative, data in contents.files.items():
            target = aside / relative
            if not target.resolve().is_relative_to(aside.resolve()):
                raise ValueError(f"a package file must stay inside the package: {relative}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        info = {"Bag-Group-Identifier": contents.series, "Bag-Count": bag_count(contents.ordinal, contents.total)}
        bagit.make_bag(str(aside), {**contents.bag_info, **info}, processes=1, checksums=CHECKSUMS)
        if final.exists():
            shutil.rmtree(final)
        os.replace(aside, final)
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    return WrittenPackage(final, package_digest(final))


def package_digest(path: Path) -> str:
    """The SHA-256 of a package's tag manifest: the digest the filing record keeps."""
    return hashlib.sha256((path / "tagmanifest-sha256.txt").read_bytes()).hexdigest()


def remove_partials(root: Path) -> int:
    """Remove packages left half-written under `root` by an interrupted export; return how many."""
    removed = 0
    if root.exists():
        for partial in root.glob(f"*/{PARTIAL}*"):
            shutil.rmtree(partial, ignore_errors=True)
            removed += 1
    return removed

"""A kept four-property check (`ArchiveCheck`) as the desk shows it: failing series and packages first, each
failing property with its problems (file, code, message), then what passed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from registry.models import ArchiveCheck
from verifiers.archive import PROPERTIES

PASSED_SHOWN = 500  # passing packages listed by name; a large export's others are counted


@dataclass(frozen=True, slots=True)
class PropertyShown:
    name: str  # one of verifiers.archive.PROPERTIES
    problems: list[dict[str, str]]  # file, code, message

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class PackageShown:
    path: str  # under the checked folder
    series: str | None
    ordinal: int | None
    properties: list[PropertyShown]

    @property
    def passed(self) -> bool:
        return all(p.passed for p in self.properties)


@dataclass(frozen=True, slots=True)
class SeriesShown:
    series: str
    packages: int
    problems: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class ReportShown:
    check: ArchiveCheck
    failing: list[PackageShown]
    passing: list[PackageShown]  # the first PASSED_SHOWN
    passing_count: int
    failing_series: list[SeriesShown]
    passing_series: list[SeriesShown]


def shown(check: ArchiveCheck) -> ReportShown:
    report: dict[str, Any] = check.report
    packages = sorted((_package(p, check.folder) for p in report.get("packages", [])), key=lambda p: p.path)
    series = [
        SeriesShown(s["series"], len(s.get("packages", [])), list(s.get("problems", [])))
        for s in report.get("series", [])
    ]
    passing = [p for p in packages if p.passed]
    return ReportShown(
        check=check,
        failing=[p for p in packages if not p.passed],
        passing=passing[:PASSED_SHOWN],
        passing_count=len(passing),
        failing_series=[s for s in series if s.problems],
        passing_series=[s for s in series if not s.problems],
    )


def _package(package: dict[str, Any], folder: str) -> PackageShown:
    properties = package.get("properties", {})
    return PackageShown(
        path=_under(package.get("path", ""), folder),
        series=package.get("series"),
        ordinal=package.get("ordinal"),
        properties=[PropertyShown(name, list(properties.get(name, {}).get("problems", []))) for name in PROPERTIES],
    )


def _under(path: str, folder: str) -> str:
    """`path` relative to the checked folder, where it is under it."""
    try:
        relative = PurePath(path).relative_to(folder)
    except ValueError:
        return path
    return str(relative) if relative.parts else PurePath(path).name

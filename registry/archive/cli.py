"""`flask archive ...`: filing parameters, export of archival packages, legal holds, retention and disposal."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from tqdm import tqdm

from registry.archive.checks import ArchiveChecks
from registry.archive.export import BATCH
from registry.errors import RegistryError
from registry.models import db
from registry.principals import OPERATOR
from registry.wiring import services

archive_cli = AppGroup("archive", help="Filing, archival packages, legal holds, retention and disposal.")
items_cli = AppGroup("items", help="Service items and their filing parameters.")
hold_cli = AppGroup("hold", help="Legal holds: nothing under one is disposed of.")
archive_cli.add_command(items_cli)
archive_cli.add_command(hold_cli)


def _fail(error: RegistryError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(f"{error.code}: {error.detail}")


@archive_cli.command("export")
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="The archive folder."
)
@click.option("--limit", type=int, default=None, help="File at most this many records in this run.")
@click.option(
    "--batch", type=click.IntRange(1, 10_000), default=BATCH, show_default=True, help="Records recorded per commit."
)
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="Check the packages written for the four properties and keep the report (the archivist's desk shows it).",
)
def export(out: Path, limit: int | None, batch: int, check: bool) -> None:
    """File every record that is due and not yet filed as a BagIt package under OUT/<series>/, then check the
    packages written (authenticity, integrity, usability, security) and keep the report; exit 1 if one fails.

    Incremental and resumable: run it again after an interruption and it completes what is missing,
    with no record filed twice. `flask archive check OUT` checks the whole folder, series gaps included.
    """
    exporter = services().exporter()
    due = exporter.due_count()
    total = due if limit is None else min(due, limit)
    click.echo(f"{due} records due and not filed; filing {total} into {out}", err=True)
    out.mkdir(parents=True, exist_ok=True)
    with tqdm(total=total, unit="pkg", file=sys.stderr, disable=None, dynamic_ncols=True) as bar:
        try:
            report = exporter.run(out, actor=OPERATOR, limit=limit, batch=batch, progress=bar.update)
        except RegistryError as e:
            raise _fail(e) from e
    if report.removed_partials:
        click.echo(f"removed {report.removed_partials} half-written packages of an interrupted export", err=True)
    click.echo(f"filed {report.filed} records")
    for identifier, why in report.failed:
        click.echo(f"NOT FILED {identifier}: {why}", err=True)
    if check and report.packages:
        _check(out, report.packages)
    if report.failed:
        raise click.ClickException(f"{len(report.failed)} record(s) could not be filed; the others were")


@archive_cli.command("check")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def check_folder(folder: Path) -> None:
    """Check every package under FOLDER (an export folder, a series, a package) for the four properties and
    the completeness of its series, keep the report (the archivist's desk shows it), and exit 1 if one fails."""
    _check(folder, None)


def _check(folder: Path, packages: list[Path] | None) -> None:
    """Check and keep the report; print failing packages and series with their problems (stderr after an
    export, whose standard output says only what was filed)."""
    after_export = packages is not None
    click.echo(f"checking {f'{len(packages)} package(s)' if packages else 'every package'} under {folder}", err=True)
    try:
        kept = ArchiveChecks(services().session).check(folder, packages)
    except RegistryError as e:
        raise _fail(e) from e
    db.session.commit()
    report = kept.report
    failing = [p for p in report["packages"] if not p["passed"]]
    for package in failing:
        click.echo(f"FAIL {package['path']}", err=after_export)
        for name, prop in package["properties"].items():
            for problem in prop["problems"]:
                click.echo(
                    f"  {name}: {problem['file'] or '-'}  {problem['code']}  {problem['message']}", err=after_export
                )
    for series in report["series"]:
        for problem in series["problems"]:
            click.echo(f"FAIL series {series['series']}: {problem['code']}  {problem['message']}", err=after_export)
    verdict = "all passed" if kept.passed else "FAILED"
    checked_series = len(report["series"])
    click.echo(
        f"check {kept.id}: {kept.packages} package(s), {len(failing)} failing; {checked_series} series: {verdict}",
        err=after_export,
    )
    if not kept.passed:
        raise SystemExit(1)


@archive_cli.command("due")
@click.option("--filing", "what", flag_value="filing", default=True, help="Records due for filing (the default).")
@click.option("--disposal", "what", flag_value="disposal", help="Filed records past their retention.")
def due(what: str) -> None:
    """List records due for filing, or (--disposal) filed records past their retention, with their holds."""
    if what == "filing":
        for record in services().filing_scope.unfiled():
            overdue = " OVERDUE" if record.deadline < dt.datetime.now(dt.UTC) else ""
            click.echo(f"{record.kind:11} {record.identifier}  {record.series}  due {record.due_at:%Y-%m-%d}{overdue}")
        return
    for past in services().retention.due():
        held = f"  HELD by hold {past.hold.id}: {past.hold.reason}" if past.hold else ""
        filing = past.filing
        ended = f"retention ended {past.until:%Y-%m-%d}"
        click.echo(f"{filing.record_kind:11} {filing.identifier}  {filing.series}  {ended}{held}")


@archive_cli.command("dispose")
@click.option("--authority", required=True, help="The disposal decision's reference (kept in each tombstone).")
@click.option("--record", "records", multiple=True, help="Dispose of these records only (identifier or reference).")
def dispose(authority: str, records: tuple[str, ...]) -> None:
    """Remove the personal content of filed records past their retention and not under a legal hold,
    keeping a tombstone of each; with --record, all the named ones or none."""
    try:
        report = services().retention.dispose(
            authority=authority, actor=OPERATOR, identifiers=list(records) if records else None
        )
    except RegistryError as e:
        raise _fail(e) from e
    db.session.commit()
    for tombstone in report.disposed:
        package, digest = tombstone.removed["package"].split(" ")
        click.echo(f"disposed of {tombstone.record_kind} {tombstone.identifier}; destroy package {package} ({digest})")
    for identifier, code, reason in report.refused:
        click.echo(f"kept {identifier}: {code}: {reason}", err=True)
    click.echo(f"disposed of {len(report.disposed)} records, kept {len(report.refused)}")
    if records and report.refused:
        raise SystemExit(1)


@hold_cli.command("place")
@click.option("--record", "identifier", help="A filed record (certificate identifier or document reference).")
@click.option("--series", help="A whole series.")
@click.option("--reason", required=True)
def hold_place(identifier: str | None, series: str | None, reason: str) -> None:
    """Place a legal hold on a record or a series."""
    try:
        hold = services().retention.place_hold(reason=reason, actor=OPERATOR, identifier=identifier, series=series)
    except RegistryError as e:
        raise _fail(e) from e
    db.session.commit()
    click.echo(f"legal hold {hold.id} placed")


@hold_cli.command("lift")
@click.argument("hold_id", type=int)
def hold_lift(hold_id: int) -> None:
    """Lift a legal hold."""
    try:
        services().retention.lift_hold(hold_id, actor=OPERATOR)
    except RegistryError as e:
        raise _fail(e) from e
    db.session.commit()
    click.echo(f"legal hold {hold_id} lifted")


@hold_cli.command("list")
@click.option("--all", "include_lifted", is_flag=True, help="Lifted holds too.")
def hold_list(include_lifted: bool) -> None:
    for hold in services().retention.holds(include_lifted=include_lifted):
        target = f"record {hold.record_identifier}" if hold.record_identifier else f"series {hold.series}"
        lifted = f"  lifted {hold.lifted_at:%Y-%m-%d}" if hold.lifted_at else ""
        click.echo(
            f"{hold.id:5}  {target}  placed {hold.placed_at:%Y-%m-%d} by {hold.placed_by}: {hold.reason}{lifted}"
        )


@archive_cli.command("stats")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="Default: 1 January this year.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Exclusive; default: 1 January next year.")
def stats(start: dt.datetime | None, end: dt.datetime | None) -> None:
    """The filing fulfilment ratio per department: filed by the deadline / became due in the period."""
    year = dt.datetime.now(dt.UTC).year
    begin = start.replace(tzinfo=dt.UTC) if start else dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    finish = end.replace(tzinfo=dt.UTC) if end else dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    click.echo(f"{begin:%Y-%m-%d} to {finish:%Y-%m-%d}")
    for row in services().filing_statistics.ratios(begin, finish):
        ratio = "-" if row.ratio is None else f"{row.ratio:.1%}"
        click.echo(
            f"{row.department.credit_code}  {row.department.name}: {ratio}  "
            f"(due {row.due}, in time {row.filed_in_time}, late {row.filed_late}, unfiled {row.unfiled})"
        )


import registry.archive.items_cli  # noqa: E402, F401  (defines the commands of items_cli)

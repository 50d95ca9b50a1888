"""`flask archive items ...`: service items and their filing parameters in bulk from a CSV file, listed,
retired."""

from __future__ import annotations

from pathlib import Path

import click

from registry.archive.cli import _fail, items_cli
from registry.errors import RegistryError
from registry.models import ServiceItem, db
from registry.principals import OPERATOR
from registry.serviceitems import LoadReport, read_csv
from registry.wiring import services


@items_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 10_000), help="rows per transaction")
def items_load(file: Path, batch: int) -> None:
    """Create or update the service items of a CSV FILE, one row each, found by code.

    \b
    The header names the columns, in any order:
      code,name,department,parent,filing_types,filing_documents,retention,retention_event,deadline_days,category
    department: the owning department's credit code; parent: an item's code (in the database, or anywhere
    in the file); filing_types: certificate type codes separated by ";"; filing_documents: yes or no;
    retention: years, or "permanent" (永久); retention_event: issue, expiry, revocation or decision;
    deadline_days: days after a record becomes due. An empty cell is the default: none, no, permanent,
    issue, 30 days.

    Each wrong row is reported by its line and nothing of it is stored; the other rows are. Each batch
    commits on its own: after an interruption, load the file again. Exit 1 if any row was rejected.
    """
    try:
        rows, rejected = read_csv(file.read_bytes())
    except RegistryError as e:
        raise _fail(e) from e
    report = LoadReport()
    for report in services().service_items.load(rows, actor=OPERATOR, batch=batch):
        db.session.commit()
        if len(rows) > batch:
            click.echo(f"{report.done:,} of {len(rows):,} rows", err=True)
    rejected += report.rejected
    for rejection in sorted(rejected, key=lambda r: r.line):
        click.echo(str(rejection))
    click.echo(
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, rejected {len(rejected)}"
    )
    if rejected:
        raise SystemExit(1)


@items_cli.command("list")
@click.option("--department", help="Only the items of this department (credit code).")
@click.option("--parent", help="Only the items directly under this item (code).")
@click.option("--all", "include_retired", is_flag=True, help="Include retired items.")
def items_list(department: str | None, parent: str | None, include_retired: bool) -> None:
    """List service items in code order with their filing parameters, a page at a time."""
    items = services().service_items.each(department=department, parent=parent, include_retired=include_retired)
    for item in items:
        click.echo(_show(item))


@items_cli.command("retire")
@click.argument("code")
def items_retire(code: str) -> None:
    """Retire the service item CODE: it stays, with what was filed under it, and files no new records."""
    try:
        item = services().service_items.retire(code, actor=OPERATOR)
    except RegistryError as e:
        raise _fail(e) from e
    db.session.commit()
    click.echo(_show(item))


def _show(item: ServiceItem) -> str:
    files = ";".join(item.filing_types) + ("+documents" if item.filing_documents else "")
    retention = f"{item.retention_years}y" if item.retention_years else "permanent"
    retired = f"  retired {item.retired_at:%Y-%m-%d}" if item.retired_at else ""
    return (
        f"{item.code}  {item.name}  department={item.department.credit_code if item.department else '-'}"
        f"  parent={item.parent.code if item.parent else '-'}  files={files or '-'}"
        f"  retention={retention} from {item.retention_event}  deadline={item.filing_deadline_days}d"
        f"  category={item.archive_category or '-'}{retired}"
    )

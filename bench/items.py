"""Service items loaded from CSV per second, as `flask archive items load FILE.csv` does it.

A generated file of N rows (default 50,000): 100 departments, 300 certificate types each filed under one
item, one item in ten a parent whose children come before it in the file, retention and categories
varied. Three loads of it into a fresh SQLite registry: the first creates every item, the second finds
them all unchanged, the third (each name changed) updates them all; each commits per 1,000 rows with one
access-log entry per item created or changed. Next to them, in the same run: reading the CSV alone.
`python -m bench.items [N]`; each figure is the median of 3 rounds.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROUNDS, registry_settings

DEPARTMENTS = 100
TYPES = 300


def csv_file(n: int, departments: list[str], types: list[str], renamed: bool = False) -> bytes:
    """N rows: every tenth item a parent, listed after the nine children that name it."""
    lines = [
        "code,name,department,parent,filing_types,filing_documents,retention,retention_event,deadline_days,category"
    ]
    for i in range(n):
        parent = "" if i % 10 == 9 or i // 10 * 10 + 9 >= n else f"P-{i // 10:06d}"
        code = f"P-{i // 10:06d}" if i % 10 == 9 else f"ITEM-{i:06d}"
        filed = types[i] if i < len(types) else ""
        documents = "yes" if i % 3 == 0 else "no"
        retention = "永久" if i % 7 == 0 else str(10 + i % 20)
        name = f"事项 {i}" + (" (修订)" if renamed else "")
        lines.append(
            f'{code},"{name}",{departments[i % len(departments)]},{parent},{filed},{documents},{retention},'
            f"issue,{30 + i % 60},WS.{2000 + i % 27}-Y"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    from registry import create_app
    from registry.accesslog import init_log
    from registry.models import db
    from registry.serviceitems import read_csv
    from tests.factories import make_department, make_type

    rates: dict[str, list[float]] = {"read": [], "created": [], "unchanged": [], "updated": []}
    for round_ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            app = create_app(registry_settings(workdir, "items.sqlite3"))
            with app.app_context():
                db.create_all()
                init_log(db.session)
                departments = [make_department(f"部门 {i}") for i in range(DEPARTMENTS)]
                types = [make_type([departments[i % DEPARTMENTS]]).code for i in range(TYPES)]
                db.session.commit()
                codes = [d.credit_code for d in departments]
                files = {"first": csv_file(n, codes, types), "renamed": csv_file(n, codes, types, renamed=True)}
                start = time.perf_counter()
                read_csv(files["first"])
                rates["read"].append(n / (time.perf_counter() - start))
                for phase, data in (
                    ("created", files["first"]),
                    ("unchanged", files["first"]),
                    ("updated", files["renamed"]),
                ):
                    path = workdir / f"{phase}.csv"
                    path.write_bytes(data)
                    start = time.perf_counter()
                    result = app.test_cli_runner().invoke(args=["archive", "items", "load", str(path)])
                    elapsed = time.perf_counter() - start
                    summary = result.stdout.strip().splitlines()[-1]
                    assert result.exit_code == 0 and f"{phase} {n}" in summary, (round_, phase, result.output[-2000:])
                    rates[phase].append(n / elapsed)
                db.engine.dispose()

    print(f"service items from a {n:,}-row CSV, SQLite, a commit per 1,000 rows, median of {ROUNDS} rounds")
    print(f"  reading the CSV alone (parse, check cells)          {statistics.median(rates['read']):9,.0f} rows/s")
    for phase in ("created", "unchanged", "updated"):
        rate = statistics.median(rates[phase])
        print(f"  load, every item {phase:9}  (whole command)        {rate:9,.0f} rows/s  ({n / rate:4.1f} s)")


if __name__ == "__main__":
    main()

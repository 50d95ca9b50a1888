"""`flask archive items load FILE.csv`: good rows are stored (parents after their children too), each bad
row is reported by its line with nothing of it stored, a rerun changes nothing; and `list` and `retire`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from registry.models import LogEntry, ServiceItem, db
from registry.principals import OPERATOR
from registry.wiring import services
from tests.factories import World, credit_code

HEADER = "code,name,department,parent,filing_types,filing_documents,retention,retention_event,deadline_days,category"


def load(app: Flask, tmp_path: Path, content: str | bytes, *options: str) -> Result:
    path = tmp_path / "items.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return app.test_cli_runner().invoke(args=["archive", "items", "load", str(path), *options])


def stored(app: Flask) -> dict[str, dict[str, Any]]:
    """Every item as its columns, with its department's credit code and its parent's code."""
    with app.app_context():
        rows = {}
        for item in db.session.scalars(sa.select(ServiceItem)):
            rows[item.code] = {
                "name": item.name,
                "department": item.department.credit_code if item.department else None,
                "parent": item.parent.code if item.parent else None,
                "filing_types": item.filing_types,
                "filing_documents": item.filing_documents,
                "retention_years": item.retention_years,
                "retention_event": item.retention_event,
                "filing_deadline_days": item.filing_deadline_days,
                "archive_category": item.archive_category,
            }
        return rows


def logged(app: Flask) -> list[tuple[str, str | None]]:
    with app.app_context():
        query = sa.select(LogEntry.action, LogEntry.service_item).where(LogEntry.action.like("service_item:%"))
        return [(action, item) for action, item in db.session.execute(query.order_by(LogEntry.idx))]


def rejections(result: Result) -> list[tuple[int, str]]:
    """The (line, code) of each `line N: CODE: reason` the command printed."""
    found = []
    for text in result.stdout.splitlines():
        if text.startswith("line "):
            where, code, _ = text.split(": ", 2)
            found.append((int(where.removeprefix("line ")), code))
    return found


def summary(result: Result) -> str:
    return result.stdout.strip().splitlines()[-1]


def good_file(world: World, bom: bool = True) -> str:
    """Four items; two children come before their parent TOP."""
    return ("\ufeff" if bom else "") + "\n".join(
        [
            HEADER,
            f"SUB-1,子事项 1,{world.dept_a},TOP,,no,10,issue,15,WS.2026-Y",
            'SUB-2,"子事项, 2",,TOP,,,,,,',
            f"TOP,顶层事项,{world.dept_a},,{world.type_b};{world.type_a},yes,永久,expiry,60,WS.2026-Y",
            f"PERM,Permanent,{world.dept_b},,,Yes,permanent,Decision,,DA.1",
            "",
        ]
    )


def test_good_rows_are_stored_with_every_parameter(app: Flask, world: World, tmp_path: Path) -> None:
    result = load(app, tmp_path, good_file(world))
    assert result.exit_code == 0, result.output
    assert summary(result) == "created 4, updated 0, unchanged 0, rejected 0"
    items = stored(app)
    assert items["TOP"] == {
        "name": "顶层事项",
        "department": world.dept_a,
        "parent": None,
        "filing_types": sorted([world.type_a, world.type_b]),
        "filing_documents": True,
        "retention_years": None,  # 永久
        "retention_event": "expiry",
        "filing_deadline_days": 60,
        "archive_category": "WS.2026-Y",
    }
    assert items["SUB-1"] | {"name": "-"} == {
        "name": "-",
        "department": world.dept_a,
        "parent": "TOP",
        "filing_types": [],
        "filing_documents": False,
        "retention_years": 10,
        "retention_event": "issue",
        "filing_deadline_days": 15,
        "archive_category": "WS.2026-Y",
    }
    assert items["SUB-2"]["name"] == "子事项, 2" and items["SUB-2"]["parent"] == "TOP"
    assert (items["SUB-2"]["retention_years"], items["SUB-2"]["filing_deadline_days"]) == (None, 30)  # defaults
    assert (items["PERM"]["filing_documents"], items["PERM"]["retention_event"]) == (True, "decision")
    assert sorted(logged(app)) == sorted(("service_item:create", code) for code in ("SUB-1", "SUB-2", "TOP", "PERM"))


def test_each_bad_row_is_reported_by_its_line_and_nothing_of_it_is_stored(
    app: Flask, world: World, tmp_path: Path
) -> None:
    lines = [
        HEADER,  # 1
        "GOOD,ok,,,,,,,,",
        "-BAD,name,,,,,,,,",
        "NONAME,,,,,,,,,",
        f"D,x,{credit_code()},,,,,,,",  # 5
        "P,x,,NOPE,,,,,,",
        "SELF,x,,SELF,,,,,,",
        "C1,x,,C2,,,,,,",
        "C2,x,,C1,,,,,,",
        f"T,x,{world.dept_a},,{credit_code()}001,,,,,WS.1",  # 10
        f"F1,x,{world.dept_a},,{world.type_a},,,,,WS.1",
        f"F2,x,{world.dept_a},,{world.type_a},,,,,WS.1",
        "R1,x,,,,,ten,,,",
        "R2,x,,,,,101,,,",
        "E,x,,,,,,birth,,",  # 15
        "DL1,x,,,,,,,soon,",
        "DL2,x,,,,,,,0,",
        "CAT,x,,,,,,,,WS/1",
        "YN,x,,,,maybe,,,,",
        "ND,x,,,,yes,,,,WS.1",  # 20
        f"NC,x,{world.dept_a},,,yes,,,,",
        "FEW,x,,",
        "GOOD,again,,,,,,,,",
        "BIN,\udcff\udcfe,,,,,,,,",  # undecodable bytes
        '"MULTI","two',  # 25: a value on two lines (a name has one line: refused)
        'lines",,,,,,,,',
        "AFTER,x,,GOOD,,,,,,",
        "KID,x,,C1,,,,,,",
        "",
        "LAST,x,,,,,,,,",  # 30
    ]
    data = "\n".join(lines).encode("utf-8", errors="surrogateescape")
    result = load(app, tmp_path, data)
    assert result.exit_code == 1
    assert rejections(result) == [
        (3, "INVALID_ITEM_CODE"),
        (4, "INVALID_NAME"),
        (5, "UNKNOWN_DEPARTMENT"),
        (6, "UNKNOWN_PARENT"),
        (7, "PARENT_IS_SELF"),
        (8, "PARENT_CYCLE"),
        (9, "PARENT_CYCLE"),
        (10, "UNKNOWN_TYPE"),
        (12, "TYPE_ALREADY_FILED"),
        (13, "RETENTION_YEARS"),
        (14, "RETENTION_YEARS"),
        (15, "RETENTION_EVENT"),
        (16, "FILING_DEADLINE"),
        (17, "FILING_DEADLINE"),
        (18, "ARCHIVE_CATEGORY"),
        (19, "FILING_DOCUMENTS"),
        (20, "FILING_NEEDS_DEPARTMENT"),
        (21, "FILING_NEEDS_CATEGORY"),
        (22, "FIELD_COUNT"),
        (23, "DUPLICATE_CODE"),
        (24, "NOT_UTF8"),
        (25, "CSV_QUOTE"),
        (28, "UNKNOWN_PARENT"),
    ]
    assert "line 12: TYPE_ALREADY_FILED: certificate type" in result.stdout and "under service item F1" in result.stdout
    assert "line 23: DUPLICATE_CODE: GOOD is on line 2 already" in result.stdout
    assert summary(result) == "created 4, updated 0, unchanged 0, rejected 23"
    created = {"GOOD", "F1", "AFTER", "LAST"}
    assert set(stored(app)) == created
    assert stored(app)["GOOD"]["name"] == "ok"
    assert sorted(item for _, item in logged(app)) == sorted(created)


def test_rows_are_checked_against_the_items_stored(app: Flask, world: World, tmp_path: Path) -> None:
    with app.app_context():
        items = services().service_items
        items.create("A", "a", actor=OPERATOR)
        items.create("B", "b", parent="A", actor=OPERATOR)
        items.create(
            "FILED", "f", department=world.dept_b, filing_types=[world.type_b], actor=OPERATOR, archive_category="X"
        )
        db.session.commit()
    rows = [
        HEADER,
        "A,a,,B,,,,,,",  # A under B, which is under A
        f"NEW,x,{world.dept_a},,{world.type_b},,,,,WS.1",
        "C,c,,B,,,,,,",
    ]
    result = load(app, tmp_path, "\n".join(rows))
    assert rejections(result) == [(2, "PARENT_CYCLE"), (3, "TYPE_ALREADY_FILED")]
    assert "filed under service item FILED" in result.stdout
    assert summary(result) == "created 1, updated 0, unchanged 0, rejected 2"
    assert stored(app)["A"]["parent"] is None and stored(app)["C"]["parent"] == "B"


def test_loading_the_same_file_again_changes_nothing(app: Flask, world: World, tmp_path: Path) -> None:
    assert load(app, tmp_path, good_file(world)).exit_code == 0
    before, entries = stored(app), logged(app)
    again = load(app, tmp_path, good_file(world, bom=False))
    assert again.exit_code == 0 and summary(again) == "created 0, updated 0, unchanged 4, rejected 0"
    assert stored(app) == before and logged(app) == entries
    changed = load(app, tmp_path, good_file(world).replace('SUB-2,"子事项, 2",,TOP,,,,,,', "SUB-2,子事项 2,,,,,3,,,"))
    assert summary(changed) == "created 0, updated 1, unchanged 3, rejected 0"
    assert stored(app)["SUB-2"] == before["SUB-2"] | {"name": "子事项 2", "parent": None, "retention_years": 3}
    assert logged(app)[-1] == ("service_item:update", "SUB-2")


def test_parents_later_in_the_file_are_loaded_first_across_batches(app: Flask, world: World, tmp_path: Path) -> None:
    rows = [HEADER, "G,g,,P,,,,,,", "F,f,,G,,,,,,", "E,e,,F,,,,,,", "X,x,,,,,,,,", "Y,y,,X,,,,,,", "P,p,,,,,,,,"]
    result = load(app, tmp_path, "\n".join(rows), "--batch", "2")
    assert result.exit_code == 0, result.output
    assert summary(result) == "created 6, updated 0, unchanged 0, rejected 0"
    assert {code: item["parent"] for code, item in stored(app).items()} == {
        "P": None,
        "X": None,
        "G": "P",
        "Y": "X",
        "F": "G",
        "E": "F",
    }
    assert "6 of 6 rows" in result.stderr  # progress, on stderr


def test_columns_may_come_in_any_order_but_must_all_be_there(app: Flask, world: World, tmp_path: Path) -> None:
    reordered = (
        "CATEGORY,Name,Code,department,parent,filing_types,filing_documents,retention,retention_event,deadline_days"
    )
    assert load(app, tmp_path, f"{reordered}\nWS.1,名称,ORDERED,,,,,,,\n").exit_code == 0
    assert stored(app)["ORDERED"]["archive_category"] == "WS.1"
    for header in (HEADER.replace(",category", ""), HEADER + ",colour", "", HEADER + ",code"):
        result = load(app, tmp_path, f"{header}\nNEW,x,,,,,,,,\n")
        assert result.exit_code == 1 and "CSV_HEADER" in result.stderr
    assert set(stored(app)) == {"ORDERED"}


@pytest.fixture
def loaded(app: Flask, world: World, tmp_path: Path) -> World:
    assert load(app, tmp_path, good_file(world)).exit_code == 0
    return world


def test_the_operator_lists_items_a_page_at_a_time(app: Flask, loaded: World) -> None:
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["archive", "items", "list"]).stdout.splitlines()
    assert [line.split()[0] for line in listed] == ["PERM", "SUB-1", "SUB-2", "TOP"]
    assert "retention=permanent from expiry" in listed[3] and "category=WS.2026-Y" in listed[3]
    by_department = runner.invoke(args=["archive", "items", "list", "--department", loaded.dept_a]).stdout
    assert [line.split()[0] for line in by_department.splitlines()] == ["SUB-1", "TOP"]
    under_top = runner.invoke(args=["archive", "items", "list", "--parent", "TOP"]).stdout
    assert [line.split()[0] for line in under_top.splitlines()] == ["SUB-1", "SUB-2"]


def test_the_operator_retires_an_item_once(app: Flask, loaded: World) -> None:
    runner = app.test_cli_runner()
    retired = runner.invoke(args=["archive", "items", "retire", "TOP"])
    assert retired.exit_code == 0 and "retired" in retired.stdout
    again = runner.invoke(args=["archive", "items", "retire", "TOP"])
    assert again.exit_code == 1 and "SERVICE_ITEM_RETIRED" in again.stderr
    codes = [line.split()[0] for line in runner.invoke(args=["archive", "items", "list"]).stdout.splitlines()]
    assert codes == ["PERM", "SUB-1", "SUB-2"]
    every = runner.invoke(args=["archive", "items", "list", "--all"]).stdout.splitlines()
    assert every[-1].startswith("TOP ") and every[-1].endswith(f"retired {dt.datetime.now(dt.UTC):%Y-%m-%d}")
    assert logged(app)[-1] == ("service_item:retire", "TOP")


def test_an_unclosed_quote_names_every_line_it_swallowed_and_a_control_character_rejects_its_row(
    app: Flask, world: World, tmp_path: Path
) -> None:
    content = "\n".join(
        [
            HEADER,
            "GOOD-1,好的事项,,,,,,,,",
            "NUL-1,名\x00称,,,,,,,,",
            'OPEN-1,"未闭合的引号,,,,,,,,',
            "LOST-1,被吞掉的行,,,,,,,,",
            "LOST-2,被吞掉的行,,,,,,,,",
        ]
    )
    result = load(app, tmp_path, content + "\n")
    assert result.exit_code == 1
    assert rejections(result) == [(3, "CONTROL_CHARACTER"), (4, "CSV_QUOTE")]
    assert "lines 4 to 6" in result.output
    assert set(stored(app)) == {"GOOD-1"}

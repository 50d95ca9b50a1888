"""Service items: the administrative service (affair) items that certificates are shared and records filed
under, with their owning department, parent and filing parameters; kept one at a time by the admin, or
loaded in bulk from a CSV file (tens of thousands of rows)."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.orm import Session, joinedload

from registry.accesslog import AccessLog, Event
from registry.errors import Conflict, NotFound, RegistryError, ValidationFailed
from registry.models import CertificateType, Department, ServiceItem, utcnow
from registry.principals import Principal
from registry.vocabulary import Action, RetentionEvent, values

# The first character is a letter or digit, so that a code is never "." or ".." in a URL path.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CATEGORY_PATTERN = r"^[A-Za-z0-9.-]{1,32}$"  # a DA/T archive category code, such as WS.2026-Y
MAX_NAME = 200
RETENTION_YEARS = (1, 100)
DEADLINE_DAYS = (1, 3650)
MAX_PAGE = 1000
CSV_COLUMNS = (
    "code",
    "name",
    "department",
    "parent",
    "filing_types",
    "filing_documents",
    "retention",
    "retention_event",
    "deadline_days",
    "category",
)
PERMANENT = ("permanent", "永久")
_CODE = re.compile(CODE_PATTERN)
_CATEGORY = re.compile(CATEGORY_PATTERN)
_YES, _NO = ("yes", "true", "1"), ("no", "false", "0", "")


class Parameters(TypedDict, total=False):
    """An item's department, parent and filing parameters. One left out keeps the item's value, or the
    default (in brackets) when the item is new."""

    department: str | None  # the owning department's credit code [none]; it files the item's records
    parent: str | None  # the parent item's code [none]
    filing_types: Sequence[str]  # codes of the certificate types filed under the item [none]
    filing_documents: bool  # documents stamped or handed over for the item are filed [no]
    retention_years: int | None  # how long filed records are kept; None is permanent [permanent]
    retention_event: RetentionEvent  # what the retention counts from [issue]
    filing_deadline_days: int  # days after a record becomes due by which it must be filed [30]
    archive_category: str | None  # [none]


# A new item's values, as the columns hold them.
_DEFAULTS: dict[str, Any] = {
    "name": "",
    "department_id": None,
    "parent_id": None,
    "filing_types": [],
    "filing_documents": False,
    "retention_years": None,
    "retention_event": RetentionEvent.ISSUE,
    "filing_deadline_days": 30,
    "archive_category": None,
}
_STATE = (*_DEFAULTS, "id", "retired_at")  # what the checks read of an item as it is


@dataclass(frozen=True)
class Page:
    items: list[ServiceItem]
    next: str | None  # the code to ask for the next page after; None on the last page


@dataclass(frozen=True)
class Row:
    """One item as a CSV row gives it: every parameter, an empty cell being the default."""

    line: int  # where the row starts in the file; the header is line 1
    code: str
    name: str
    parameters: Parameters


@dataclass(frozen=True)
class Rejection:
    line: int
    code: str
    detail: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.code}: {self.detail}"


@dataclass
class LoadReport:
    """How a load went so far: rows done, items created, updated and unchanged, and the rows rejected."""

    done: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)


class ServiceItemService:
    """Service items and their filing parameters, which the admin keeps.

    Every change runs the checks of `_change`, in their order, and is in the access log.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.log = AccessLog(session)

    def create(self, code: str, name: str, *, actor: Principal, **parameters: Unpack[Parameters]) -> ServiceItem:
        """Add the item `code`; parameters not given take their defaults. Conflict if it exists."""
        known = _Known(self.session)
        if known.item(code) is not None:
            raise Conflict(f"service item {code} exists", code="SERVICE_ITEM_EXISTS")
        change = _change(code, None, name, parameters, known)
        assert change is not None  # a new item always changes
        item = ServiceItem(code=code, **change.values)
        self.session.add(item)
        self.session.flush()
        self.log.record(actor, [change.event])
        return item

    def update(
        self, code: str, *, actor: Principal, name: str | None = None, **parameters: Unpack[Parameters]
    ) -> ServiceItem:
        """Change what is given of the item `code` (a name of None keeps it); the rest stays."""
        item = self.get(code)
        change = _change(
            code, {column: getattr(item, column) for column in _STATE}, name, parameters, _Known(self.session)
        )
        if change is not None:
            for column, value in change.values.items():
                setattr(item, column, value)
            self.session.flush()
            self.log.record(actor, [change.event])
        return item

    def retire(self, code: str, *, actor: Principal) -> ServiceItem:
        """Mark the item retired: it stays, with what was filed under it, and files no new records.
        Conflict if it is retired already."""
        item = self.get(code)
        if item.retired_at is not None:
            raise Conflict(
                f"service item {code} was retired on {item.retired_at:%Y-%m-%d}", code="SERVICE_ITEM_RETIRED"
            )
        item.retired_at = item.updated_at = utcnow()
        self.session.flush()
        self.log.record(
            actor, [Event(Action.SERVICE_ITEM_RETIRE, subject_department_id=item.department_id, service_item=code)]
        )
        return item

    def find(self, code: str) -> ServiceItem | None:
        """The item with this code, or None."""
        return self.session.scalar(select(ServiceItem).where(ServiceItem.code == code))

    def get(self, code: str) -> ServiceItem:
        """The item with this code; raise NotFound."""
        item = self.find(code)
        if item is None:
            raise NotFound(f"no service item {code}", code="SERVICE_ITEM_NOT_FOUND")
        return item

    def page(
        self,
        *,
        after: str | None = None,
        limit: int = 100,
        department: str | None = None,
        parent: str | None = None,
        include_retired: bool = False,
    ) -> Page:
        """Up to `limit` items in code order, after the code `after`: those of a department (credit code) or
        directly under a parent item (code) if given; retired ones only if asked for."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(f"a page holds 1 to {MAX_PAGE} items", errors={"limit": ["out of range"]})
        query = select(ServiceItem).options(joinedload(ServiceItem.department), joinedload(ServiceItem.parent))
        if after is not None:
            query = query.where(ServiceItem.code > after)
        if department is not None:
            owner = select(Department.id).where(Department.credit_code == department).scalar_subquery()
            query = query.where(ServiceItem.department_id == owner)
        if parent is not None:
            above = select(ServiceItem.id).where(ServiceItem.code == parent).scalar_subquery()
            query = query.where(ServiceItem.parent_id == above)
        if not include_retired:
            query = query.where(ServiceItem.retired_at.is_(None))
        items = list(self.session.scalars(query.order_by(ServiceItem.code).limit(limit + 1)))
        return Page(items[:limit], items[limit - 1].code if len(items) > limit else None)

    def each(
        self, *, department: str | None = None, parent: str | None = None, include_retired: bool = False
    ) -> Iterator[ServiceItem]:
        """Every item that `page` gives with these filters, in code order, read a page at a time."""
        after = None
        while True:
            page = self.page(
                after=after, limit=MAX_PAGE, department=department, parent=parent, include_retired=include_retired
            )
            yield from page.items
            if page.next is None:
                return
            after = page.next

    def load(self, rows: Sequence[Row], *, actor: Principal, batch: int = 1000) -> Iterator[LoadReport]:
        """Create or update the item of each row, parents before their children, a batch at a time.

        After each batch is written and logged (one entry per item created or changed), the report so far is
        yielded, for the caller to commit: an interrupted load keeps its finished batches, and loading the
        same rows again changes nothing. A row that fails a check is rejected whole; the others go on.
        """
        known = _Known(self.session, every_item=True)
        report = LoadReport()
        ordered, report.rejected = _parents_first(rows)
        report.done = len(report.rejected)
        for start in range(0, len(ordered), batch):
            chunk = ordered[start : start + batch]
            states = self._states([row.code for _, row in chunk if known.item(row.code) is not None])
            events = []
            # One depth at a time, so that the items of one have ids before the next names them as parents.
            for _, level in itertools.groupby(chunk, key=lambda pair: pair[0]):
                new, changed = [], []
                for _, row in level:
                    try:
                        change = _change(row.code, states.get(row.code), row.name, row.parameters, known)
                    except RegistryError as e:
                        report.rejected.append(Rejection(row.line, e.code, e.detail))
                        continue
                    if change is None:
                        report.unchanged += 1
                        continue
                    if row.code in states:
                        changed.append({"id": states[row.code]["id"], **change.values})
                    else:
                        new.append({"code": row.code, **change.values})
                    events.append(change.event)
                self._write(new, changed, known)
                report.created += len(new)
                report.updated += len(changed)
            self.log.record(actor, events)
            report.done += len(chunk)
            yield report
        if not ordered:
            yield report

    def _states(self, codes: list[str]) -> dict[str, dict[str, Any]]:
        """What the checks read of the items with these codes, by code."""
        columns = [getattr(ServiceItem, column) for column in _STATE]
        query = select(ServiceItem.code, *columns).where(ServiceItem.code.in_(codes))
        return {row.code: dict(row._mapping) for row in self.session.execute(query)}

    def _write(self, new: list[dict[str, Any]], changed: list[dict[str, Any]], known: _Known) -> None:
        """Insert and update items in bulk, then let `known` have the new items' ids. The ORM's unit of work
        writes a self-referencing table a row at a time, and its bulk insert splits rows by which values are
        None; a Core insert is one executemany."""
        if new:
            self.session.execute(insert(ServiceItem.metadata.tables[ServiceItem.__tablename__]), new)
            known.load_codes([values["code"] for values in new])
        if changed:
            self.session.execute(update(ServiceItem), changed)


@dataclass(frozen=True)
class _Change:
    """A change that passed every check: the columns to set (all of them for a new item), and its event."""

    values: dict[str, Any]
    event: Event


def _change(
    code: str, state: Mapping[str, Any] | None, name: str | None, given: Parameters, known: _Known
) -> _Change | None:
    """Check setting `name` (unless None) and the `given` parameters on the item `code` as it is (`state`, the
    columns of _STATE; None for a new item), and say what to write; None if nothing changes."""
    # 1. A new item's code is well formed.
    if state is None and not _CODE.fullmatch(code):
        raise ValidationFailed(
            f"service item code {code!r} is not 1-64 letters, digits, '.', '_', '-' (the first a letter or digit)",
            errors={"code": ["not a valid service item code"]},
            code="INVALID_ITEM_CODE",
        )
    # 2. Each value given is valid on its own and names what exists.
    wanted = _checked(code, name, given, known)
    current = dict(_DEFAULTS) if state is None else {column: state[column] for column in _DEFAULTS}
    target = current | wanted
    changed = [column for column in wanted if state is None or current[column] != target[column]]
    if state is not None and not changed:
        return None
    # 3. An item that files records has a department, which files them, and an archive category.
    if target["filing_types"] or target["filing_documents"]:
        if target["department_id"] is None:
            raise ValidationFailed(
                f"service item {code} files records, so it needs an owning department to file them",
                errors={"department": ["required when the item files certificates or documents"]},
                code="FILING_NEEDS_DEPARTMENT",
            )
        if target["archive_category"] is None:
            raise ValidationFailed(
                f"service item {code} files records, so it needs an archive category",
                errors={"archive_category": ["required when the item files certificates or documents"]},
                code="FILING_NEEDS_CATEGORY",
            )
    # 4. A certificate type is filed under one item at most; a retired item files nothing.
    retired = state is not None and state["retired_at"] is not None
    filers = {t: known.filer(t) for t in target["filing_types"]}
    filed = {t: other for t, other in filers.items() if other not in (None, code)}
    if filed and not retired:
        raise Conflict(
            "; ".join(
                f"certificate type {t} is filed under service item {other} already" for t, other in filed.items()
            ),
            errors={"filing_types": [f"{t} is filed under {other}" for t, other in filed.items()]},
            code="TYPE_ALREADY_FILED",
        )
    # 5. A new parent is not below the item (step 2 made sure it is not the item itself).
    if state is not None and "parent_id" in changed:
        ancestor, seen = target["parent_id"], set()
        while ancestor is not None and ancestor not in seen:
            if ancestor == state["id"]:
                raise ValidationFailed(
                    f"service item {given.get('parent')} is below {code}, so it cannot be its parent",
                    errors={"parent": ["would make a cycle"]},
                    code="PARENT_CYCLE",
                )
            seen.add(ancestor)
            ancestor = known.parent_of(ancestor)
    known.note(code, None if state is None else state["id"], target, current["filing_types"], retired=retired)
    reason = "; ".join(f"{column.removesuffix('_id')}={_shown(column, name, given)}" for column in changed)
    now = utcnow()
    if state is None:
        action, values = Action.SERVICE_ITEM_CREATE, target | {"created_at": now, "updated_at": now}
    else:
        action, values = (
            Action.SERVICE_ITEM_UPDATE,
            {column: target[column] for column in changed} | {"updated_at": now},
        )
    event = Event(action, subject_department_id=target["department_id"], service_item=code, reason=reason[:500])
    return _Change(values, event)


def _checked(code: str, name: str | None, given: Parameters, known: _Known) -> dict[str, Any]:
    """The columns `name` and `given` set, each value checked on its own (step 2 of `_put`)."""
    wanted: dict[str, Any] = {}
    if name is not None:
        if not 1 <= len(name) <= MAX_NAME:
            raise ValidationFailed(
                f"a name has 1 to {MAX_NAME} characters", errors={"name": ["length"]}, code="INVALID_NAME"
            )
        wanted["name"] = name
    if "department" in given:
        credit_code = given["department"]
        wanted["department_id"] = None if credit_code is None else known.department(credit_code)
        if credit_code is not None and wanted["department_id"] is None:
            raise ValidationFailed(
                f"no department {credit_code}", errors={"department": ["unknown department"]}, code="UNKNOWN_DEPARTMENT"
            )
    if "parent" in given:
        parent = given["parent"]
        if parent == code:
            raise ValidationFailed(
                f"service item {code} cannot be its own parent",
                errors={"parent": ["the item itself"]},
                code="PARENT_IS_SELF",
            )
        wanted["parent_id"] = None if parent is None else known.item(parent)
        if parent is not None and wanted["parent_id"] is None:
            raise ValidationFailed(
                f"no service item {parent} to be the parent",
                errors={"parent": ["unknown service item"]},
                code="UNKNOWN_PARENT",
            )
    if "filing_types" in given:
        types = sorted(set(given["filing_types"]))
        unknown = [t for t in types if not known.type_exists(t)]
        if unknown:
            raise ValidationFailed(
                f"no certificate type {', '.join(unknown)}", errors={"filing_types": unknown}, code="UNKNOWN_TYPE"
            )
        wanted["filing_types"] = types
    if "filing_documents" in given:
        wanted["filing_documents"] = given["filing_documents"]
    if "retention_years" in given:
        years = given["retention_years"]
        if years is not None and not RETENTION_YEARS[0] <= years <= RETENTION_YEARS[1]:
            raise ValidationFailed(
                f"records are kept {RETENTION_YEARS[0]} to {RETENTION_YEARS[1]} years, or permanently",
                errors={"retention_years": ["out of range"]},
                code="RETENTION_YEARS",
            )
        wanted["retention_years"] = years
    if "retention_event" in given:
        wanted["retention_event"] = RetentionEvent(given["retention_event"])
    if "filing_deadline_days" in given:
        days = given["filing_deadline_days"]
        if not DEADLINE_DAYS[0] <= days <= DEADLINE_DAYS[1]:
            raise ValidationFailed(
                f"the filing deadline is {DEADLINE_DAYS[0]} to {DEADLINE_DAYS[1]} days after a record is due",
                errors={"filing_deadline_days": ["out of range"]},
                code="FILING_DEADLINE",
            )
        wanted["filing_deadline_days"] = days
    if "archive_category" in given:
        category = given["archive_category"]
        if category is not None and not _CATEGORY.fullmatch(category):
            raise ValidationFailed(
                f"archive category {category!r} is not 1-32 letters, digits, '.' and '-'",
                errors={"archive_category": ["not a valid archive category"]},
                code="ARCHIVE_CATEGORY",
            )
        wanted["archive_category"] = category
    return wanted


def _shown(column: str, name: str | None, given: Mapping[str, object]) -> str:
    """A changed value as the access log's reason shows it: codes, not row ids."""
    value = name if column == "name" else given.get(column.removesuffix("_id"))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(sorted(set(value))) or "-"
    if value is None:
        return "permanent" if column == "retention_years" else "-"
    return str(value)


class _Known:
    """What the checks of a change look up: departments and certificate types by code, items by code with
    their parents, and the item filing each certificate type. Departments, types and filing items are few
    and loaded whole. Items are loaded whole for a bulk load, where a miss means absent and no row costs a
    query, and looked up one by one otherwise."""

    def __init__(self, session: Session, *, every_item: bool = False) -> None:
        self.session = session
        self.departments = dict(session.execute(select(Department.credit_code, Department.id)).all())
        self.types = set(session.scalars(select(CertificateType.code)))
        self.filers: dict[str, str] = {}
        filing = select(ServiceItem.code, ServiceItem.filing_types).where(
            ServiceItem.retired_at.is_(None), func.json_array_length(ServiceItem.filing_types) > 0
        )
        for code, types in session.execute(filing):
            self.filers.update(dict.fromkeys(types, code))
        self.every_item = every_item
        self.ids: dict[str, int] = {}  # item code -> id
        self.parents: dict[int, int | None] = {}  # item id -> its parent's id
        if every_item:
            self._load()

    def department(self, credit_code: str) -> int | None:
        return self.departments.get(credit_code)

    def type_exists(self, code: str) -> bool:
        return code in self.types

    def filer(self, type_code: str) -> str | None:
        """The code of the item (not retired) that files the type, or None."""
        return self.filers.get(type_code)

    def item(self, code: str) -> int | None:
        """The id of the item with this code, or None."""
        if code not in self.ids and not self.every_item:
            self._load(ServiceItem.code == code)
        return self.ids.get(code)

    def parent_of(self, item_id: int) -> int | None:
        if item_id not in self.parents:
            self._load(ServiceItem.id == item_id)
        return self.parents.get(item_id)

    def note(
        self, code: str, item_id: int | None, values: Mapping[str, Any], previous_types: list[str], *, retired: bool
    ) -> None:
        """Take in a change to the item `code` (with `item_id` None if it is new) before the next check."""
        for type_code in previous_types:
            if self.filers.get(type_code) == code:
                del self.filers[type_code]
        if not retired:
            self.filers.update(dict.fromkeys(values["filing_types"], code))
        if item_id is not None:
            self.parents[item_id] = values["parent_id"]

    def load_codes(self, codes: list[str]) -> None:
        """Take in the ids of the items with these codes, such as new ones."""
        self._load(ServiceItem.code.in_(codes))

    def _load(self, *conditions: ColumnElement[bool]) -> None:
        query = select(ServiceItem.code, ServiceItem.id, ServiceItem.parent_id).where(*conditions)
        for code, item_id, parent_id in self.session.execute(query):
            self.ids[code] = item_id
            self.parents[item_id] = parent_id


def _parents_first(rows: Sequence[Row]) -> tuple[list[tuple[int, Row]], list[Rejection]]:
    """The rows with their depths in the file, by depth and then in file order: first those whose parent is
    not in the file, then the rows under those, and so on, so that a batch writes its new items once per
    depth and not once per parent; and the rows whose parents, within the file, lead back to themselves,
    rejected."""
    by_code = {row.code: row for row in rows}
    depth: dict[str, int] = {}  # -1 for a row in a cycle
    rejected: list[Rejection] = []
    for row in rows:
        chain: list[Row] = []  # the row and its ancestors in the file of no known depth yet, nearest first
        in_chain: set[str] = set()
        step: Row | None = row
        while step is not None and step.code not in depth and step.code not in in_chain:
            chain.append(step)
            in_chain.add(step.code)
            parent = step.parameters.get("parent")
            step = by_code.get(parent) if parent and parent != step.code else None  # itself: a check refuses it
        if step is not None and step.code in in_chain:  # from `step` on, each row of the chain leads back to itself
            cycle = chain[chain.index(step) :]
            codes = " -> ".join([r.code for r in cycle] + [step.code])
            for member in cycle:
                rejected.append(Rejection(member.line, "PARENT_CYCLE", f"the parents in the file go round: {codes}"))
                depth[member.code] = -1
            chain = chain[: chain.index(step)]
        level = -1 if step is None else depth[step.code]
        for ancestor in reversed(chain):
            level += 1
            depth[ancestor.code] = level
    ordered = sorted(((depth[row.code], row) for row in rows if depth[row.code] >= 0), key=lambda pair: pair[0])
    return ordered, rejected


def read_csv(data: bytes) -> tuple[list[Row], list[Rejection]]:
    """The rows of a CSV file of items (UTF-8, a BOM or not) with a header naming CSV_COLUMNS in any order,
    and the rows rejected as they were read. Raise ValidationFailed if the header is not right.

    An empty cell is the default: no department, parent or types, documents not filed, permanent retention
    counted from issue, a 30-day deadline, no category. `filing_types` are separated by `;`,
    `filing_documents` is yes/no (true/false, 1/0), `retention` is years or `permanent` (`永久`).
    """
    # Undecodable bytes become lone surrogates, so that they reject their own row and no other.
    text = data.decode("utf-8-sig", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in CSV_COLUMNS if name not in header]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise ValidationFailed(
            f"line 1: the header must name the columns {','.join(CSV_COLUMNS)}"
            + (f"; missing: {','.join(missing)}" if missing else "")
            + (f"; unknown: {','.join(unknown)}" if unknown else ""),
            code="CSV_HEADER",
        )
    column = {name: header.index(name) for name in CSV_COLUMNS}
    rows: list[Row] = []
    rejected: list[Rejection] = []
    first_line: dict[str, int] = {}
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader, None)
        except csv.Error as e:
            rejected.append(Rejection(line, "CSV_SYNTAX", str(e)))
            line = reader.line_num + 1
            continue
        if record is None:
            return rows, rejected
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if any("\n" in cell or "\r" in cell for cell in record):
            # No value spans lines: a quote left open swallowed the lines after it, which are named here.
            end = reader.line_num
            why = f"a quote is not closed: lines {start} to {end} were read as one row, and none of them was stored"
            rejected.append(Rejection(start, "CSV_QUOTE", why))
            continue
        if any(ord(char) < 32 and char != "\t" for cell in record for char in cell):
            rejected.append(Rejection(start, "CONTROL_CHARACTER", "the row holds a control character"))
            continue
        try:
            row = _row(start, record, column, len(header))
            if row.code in first_line:
                raise ValidationFailed(f"{row.code} is on line {first_line[row.code]} already", code="DUPLICATE_CODE")
        except RegistryError as e:
            rejected.append(Rejection(start, e.code, e.detail))
            continue
        first_line[row.code] = start
        rows.append(row)


def _row(line: int, record: list[str], column: dict[str, int], width: int) -> Row:
    if len(record) != width:
        raise ValidationFailed(f"{len(record)} fields where the header has {width}", code="FIELD_COUNT")
    try:
        "".join(record).encode()
    except UnicodeEncodeError:  # a lone surrogate: bytes that were not UTF-8
        raise ValidationFailed("the row is not UTF-8 text", code="NOT_UTF8") from None
    cell = {name: record[index].strip() for name, index in column.items()}
    parameters: Parameters = {
        "department": cell["department"] or None,
        "parent": cell["parent"] or None,
        "filing_types": [t.strip() for t in cell["filing_types"].split(";") if t.strip()],
        "filing_documents": _yes_no(cell["filing_documents"]),
        "retention_years": _retention(cell["retention"]),
        "retention_event": _event(cell["retention_event"]),
        "filing_deadline_days": _days(cell["deadline_days"]),
        "archive_category": cell["category"] or None,
    }
    return Row(line, cell["code"], cell["name"], parameters)


def _yes_no(text: str) -> bool:
    if text.lower() not in _YES + _NO:
        raise ValidationFailed(f"filing_documents is yes or no, not {text!r}", code="FILING_DOCUMENTS")
    return text.lower() in _YES


def _retention(text: str) -> int | None:
    if not text or text.lower() in PERMANENT:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ValidationFailed(f"retention is a number of years or 'permanent', not {text!r}", code="RETENTION_YEARS")
    return int(text)


def _event(text: str) -> RetentionEvent:
    if text and text.lower() not in values(RetentionEvent):
        raise ValidationFailed(
            f"retention_event is one of {', '.join(values(RetentionEvent))}, not {text!r}", code="RETENTION_EVENT"
        )
    return RetentionEvent(text.lower() or RetentionEvent.ISSUE)


def _days(text: str) -> int:
    if not text:
        return int(_DEFAULTS["filing_deadline_days"])
    if not (text.isascii() and text.isdigit()):
        raise ValidationFailed(f"deadline_days is a number of days, not {text!r}", code="FILING_DEADLINE")
    return int(text)

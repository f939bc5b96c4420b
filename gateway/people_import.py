"""Household lists: register many people from a CSV or XLSX file, every row checked first.

`read_table` turns the file into rows (UTF-8, UTF-8 with BOM or GBK CSV; XLSX through openpyxl,
read-only, no formulas, no merged cells); `check` checks every row against the same rules as one
registration (registry.prepare / check_new) plus duplicates inside the file and unknown
communities, writing nothing; `run` imports in one transaction either every row (refused whole
when any row is bad) or, with `valid_only`, the valid rows, audited as one `people.import`.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from . import registry
from .auth import Principal
from .db import Conn
from .errors import Conflict, Forbidden, InvalidInput
from .services import Services
from .store import audit
from .store import sites as site_store

MAX_ROWS = 20_000
MAX_CELL = 200
COLUMNS: dict[str, str] = {  # header (field name or its Chinese label) -> field
    "name": "name", "姓名": "name",
    "document_type": "document_type", "证件类型": "document_type",
    "document_number": "document_number", "证件号码": "document_number", "身份证号": "document_number",
    "身份证号码": "document_number",
    "phone": "phone", "电话": "phone", "手机": "phone", "手机号": "phone",
    "address": "address", "住址": "address", "地址": "address",
    "community": "community", "社区": "community", "社区代码": "community",
    "employer": "employer", "单位": "employer", "单位代码": "employer",
    "school": "school", "学校": "school", "学校代码": "school",
    "origin": "origin", "来自地区": "origin", "来源地": "origin",
    "left_origin_on": "left_origin_on", "离开日期": "left_origin_on",
    "arrived_on": "arrived_on", "抵达日期": "arrived_on", "到达日期": "arrived_on",
    "status": "status", "健康状态": "status",
    "quarantine_kind": "quarantine_kind", "隔离方式": "quarantine_kind",
}
TEMPLATE_HEADER = ["姓名", "证件类型", "证件号码", "电话", "住址", "社区", "单位", "学校", "来自地区", "离开日期",
                   "抵达日期", "健康状态"]
TEMPLATE_EXAMPLE = ["王建国", "resident_id", "11010519491231002X", "13900000001", "和园 3-201", "C-HEYUAN", "", "",
                    "420100", "2020-02-01", "2020-02-02", "green"]
# words a household list may use for a code (the console's own words are in web/labels.py)
DOCUMENT_WORDS = {"居民身份证": "resident_id", "身份证": "resident_id", "护照": "passport",
                  "居住证": "residence_permit", "工作许可": "work_permit"}
STATUS_WORDS = {"绿": "green", "绿码": "green", "黄": "yellow", "黄码": "yellow", "红": "red", "红码": "red"}
QUARANTINE_WORDS = {"居家": "home", "居家隔离": "home", "集中": "central", "集中隔离": "central"}


class ImportFileError(InvalidInput):
    """The file as a whole cannot be read: nothing was checked or changed."""

    code = "bad_import_file"


@dataclass(slots=True)
class RowResult:
    line: int  # as the worker sees it in the spreadsheet: the header is line 1
    name: str
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(slots=True)
class Checked:
    rows: list[RowResult]
    news: dict[int, registry.NewPerson]  # line -> the prepared registration of each valid row
    columns: dict[int, dict[str, Any]] = field(default_factory=dict)  # line -> its checked columns

    @property
    def valid(self) -> int:
        return sum(r.ok for r in self.rows)

    @property
    def invalid(self) -> int:
        return len(self.rows) - self.valid

    def to_json(self) -> dict[str, Any]:
        return {"rows": len(self.rows), "valid": self.valid, "invalid": self.invalid,
                "errors": [{"line": r.line, "name": r.name, "errors": r.errors} for r in self.rows if not r.ok]}


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # GBK as Excel in China writes it, and more
    except UnicodeDecodeError:
        raise ImportFileError("the file is neither UTF-8 nor GBK text: save it as CSV (UTF-8) or XLSX",
                              field="file") from None


def _csv_rows(data: bytes) -> list[list[str]]:
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError("the file holds binary data: save it as CSV (UTF-8) or XLSX", field="file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise ImportFileError(f"the CSV cannot be read: {exc}", field="file") from None


def _xlsx_rows(data: bytes) -> list[list[str]]:
    import openpyxl  # only when an XLSX comes: a worker's Excel file
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"the XLSX file cannot be read ({type(exc).__name__}): save it again from "
                              "Excel or WPS, or as CSV", field="file") from None
    sheet = book.worksheets[0]
    if sheet.merged_cells.ranges:
        first = sorted(str(r) for r in sheet.merged_cells.ranges)[0]
        raise ImportFileError(f"the sheet has merged cells ({first}): unmerge them, one person per row",
                              field="file")
    if sheet.max_row > MAX_ROWS + 1:
        raise ImportFileError(f"the sheet has {sheet.max_row - 1} rows: at most {MAX_ROWS} at a time, split it",
                              field="file")
    rows: list[list[str]] = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            value = cell.value
            if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
                raise ImportFileError(f"cell {cell.coordinate} holds a formula: paste values only",
                                      field="file")
            if hasattr(value, "date") and callable(value.date):
                value = value.date().isoformat()
            cells.append("" if value is None else str(value))
        rows.append(cells)
    return rows


def read_table(data: bytes, filename: str | None = None) -> list[dict[str, str]]:
    """The file's rows as {field: text}; ImportFileError for a file that cannot be a household list."""
    if not data or not data.strip():
        raise ImportFileError("the file is empty", field="file")
    is_xlsx = data[:4] == b"PK\x03\x04" or (filename or "").lower().endswith((".xlsx", ".xlsm"))
    raw = _xlsx_rows(data) if is_xlsx else _csv_rows(data)
    raw = [r for r in raw if any(c.strip() for c in r)]
    if not raw:
        raise ImportFileError("the file has no rows", field="file")
    header = [COLUMNS.get(h.strip().lstrip("\ufeff"), "") for h in raw[0]]
    unknown = [h for h, f in zip(raw[0], header, strict=True) if h.strip() and not f]
    if unknown:
        raise ImportFileError(f"unknown columns: {', '.join(u[:40] for u in unknown[:10])} (use the template's "
                              "names or the API's field names)", field="file")
    missing = [f for f in ("name", "document_number") if f not in header]
    if missing:
        raise ImportFileError(f"the first row must name the columns; missing: {', '.join(missing)}", field="file")
    if len(raw) - 1 > MAX_ROWS:
        raise ImportFileError(f"the file has {len(raw) - 1} rows: at most {MAX_ROWS} at a time, split it",
                              field="file")
    if len(raw) == 1:
        raise ImportFileError("the file has a header but no people", field="file")
    rows = []
    for cells in raw[1:]:
        rows.append({f: c.strip()[:MAX_CELL + 1] for f, c in zip(header, cells) if f})
    return rows


def _body(row: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {k: v for k, v in row.items() if v != ""}
    body.setdefault("document_type", "resident_id")
    body["document_type"] = DOCUMENT_WORDS.get(body["document_type"], body["document_type"])
    if "status" in body:
        body["status"] = STATUS_WORDS.get(body["status"], body["status"])
    if "quarantine_kind" in body:
        body["quarantine_kind"] = QUARANTINE_WORDS.get(body["quarantine_kind"], body["quarantine_kind"])
    for key, value in body.items():
        if isinstance(value, str) and len(value) > MAX_CELL:
            raise InvalidInput(f"{key} is longer than {MAX_CELL} characters", field=key)
    return body


async def _known_communities(conn: Conn) -> set[str] | None:
    """Communities some site's policy names; None when no site names any (nothing to check against)."""
    found: set[str] = set()
    for site in await site_store.list_sites(conn):
        try:
            found |= set(json.loads(site.policy).get("communities") or ())
        except ValueError:
            continue
    return found or None


async def check(svc: Services, rows: list[dict[str, str]], actor: Principal, conn: Conn | None = None) -> Checked:
    """Every row's errors, as one registration would give them, plus duplicates in the file."""
    conn = conn or svc.db.read
    known = await _known_communities(conn)
    results: list[RowResult] = []
    prepared: dict[int, registry.NewPerson] = {}
    seen: dict[str, int] = {}
    for i, row in enumerate(rows, start=2):  # the checks of each row on its own first: no database
        result = RowResult(i, row.get("name", "")[:64])
        results.append(result)
        try:
            new = registry.prepare(svc, _body(row))
            community = new.values.get("community")
            if known is not None and community and community not in known:
                raise InvalidInput(f"unknown community {community}: no site admits it", field="community")
            first = seen.get(new.values["document_hmac"])
            if first is not None:
                raise Conflict(f"the same document as line {first}", field="document_number",
                               code="duplicate_in_file")
            seen[new.values["document_hmac"]] = i
        except (InvalidInput, Conflict, Forbidden) as exc:
            result.errors[exc.field or "_row"] = exc.message
            continue
        prepared[i] = new
    # then against the registry, with what every row shares read once
    context = await registry.context_for(conn, actor, [n.values["document_hmac"] for n in prepared.values()])
    news: dict[int, registry.NewPerson] = {}
    columns: dict[int, dict[str, Any]] = {}
    for result in results:
        new_person = prepared.get(result.line)
        if new_person is None:
            continue
        try:
            columns[result.line] = await registry.check_new(svc, conn, new_person, actor, context)
        except (InvalidInput, Conflict, Forbidden) as exc:
            result.errors[exc.field or "_row"] = exc.message
            continue
        news[result.line] = new_person
    return Checked(results, news, columns)


@dataclass(frozen=True, slots=True)
class Imported:
    imported: int
    skipped: int
    checked: Checked


async def run(svc: Services, rows: list[dict[str, str]], actor: Principal, *, valid_only: bool,
              file_name: str | None = None) -> Imported:
    """Import in one transaction: every row, or with `valid_only` the valid ones; checked again inside
    the transaction, so nothing registered meanwhile is duplicated. A bad row without `valid_only`
    imports nothing (Conflict `import_has_errors`)."""
    async with svc.db.transaction() as tx:
        checked = await check(svc, rows, actor, tx)
        if checked.invalid and not valid_only:
            raise Conflict(f"{checked.invalid} of {len(rows)} rows have errors: nothing was imported",
                           code="import_has_errors")
        for line in sorted(checked.news):
            await registry.register_in(svc, tx, checked.news[line], actor, audited=False,
                                       checked=checked.columns[line])
        imported = len(checked.news)
        await audit.record(tx, actor.actor, "people.import", "people", None,
                           {"rows": len(rows), "imported": imported, "skipped": checked.invalid,
                            "file": (file_name or "")[:100], "scope": actor.scope.text()})
    return Imported(imported, checked.invalid, checked)


def template_csv() -> bytes:
    """The household-list template (UTF-8 with BOM, so Excel opens the Chinese headers right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow(TEMPLATE_EXAMPLE)
    return ("\ufeff" + out.getvalue()).encode("utf-8")

"""The school file (一校一档) of one school as XLSX (openpyxl) and PDF (reportlab): each person, their
class and class teacher, the five must-be-clear items and what is missing, in the page's words
(zh-CN by default) and local time. Phone numbers are masked; the address is shown only to the roles
that may see it (`people.address`: not a viewer).

The PDF's text is text (searchable, copyable, read by screen readers): reportlab draws it in the
Adobe-GB1 CID font STSong-Light, which every PDF reader has and which is not embedded, because
reportlab embeds TrueType outlines only and Noto Sans CJK is CFF (see web/card.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from gateway.schools import ITEMS, Item, SchoolFile
from gateway.store.people import PersonRow

from . import labels

PDF_FONT = "STSong-Light"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    facts: list[tuple[str, str]]
    header: list[str]
    rows: list[list[str]]
    flagged: list[bool]  # rows with something not clear


def _w(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _item_text(item: Item, lang: str, tz: ZoneInfo, person: PersonRow, show_address: bool) -> str:
    code = "en" if lang == "en" else labels.DEFAULT
    text = f"{labels.label('five_state', item.state, code)}：{labels.label('five_reason', item.reason, code)}"
    if item.item == "contact" and person.phone_masked:
        text += f" {person.phone_masked}"  # masked, as everywhere outside an audited reveal
    if item.item == "address" and person.address and show_address:
        text += f" {person.address}"
    d = item.detail
    if d.get("temperature") is not None:
        text += f" {d['temperature']:.1f} °C {d.get('taken_by') or ''} {labels.local(d.get('checked_at'), tz)}"
    if d.get("origin") and item.item == "travel":
        text += f" {labels.region(d['origin'], code)}"
        if d.get("arrived_on"):
            text += f" {_w(lang, '抵达', 'arrived')} {d['arrived_on']}"
        if d.get("quarantine_end"):
            text += f" {_w(lang, '隔离至', 'quarantine until')} {d['quarantine_end']}"
    if d.get("plans"):
        text += f" {d['plans']}"
    if d.get("health"):
        text += f" {d['health']}"
    return text.strip()


def sheet(file: SchoolFile, lang: str = "zh", *, show_address: bool = False) -> Sheet:
    """The table both formats show, in one language."""
    code = "en" if lang == "en" else labels.DEFAULT
    teachers = {c.code: (c.name, c.teacher or "—") for c in file.classes}
    header = [_w(lang, "班级", "Class"), _w(lang, "班级名称", "Class name"), _w(lang, "班主任", "Class teacher"),
              _w(lang, "姓名", "Name"), _w(lang, "身份", "Member"),
              *[labels.label("five_item", i, code) for i in ITEMS], _w(lang, "未清事项", "Not clear")]
    rows, flagged = [], []
    for pf in file.people:
        klass = pf.person.school_class
        name, teacher = teachers.get(klass or "", (pf.class_name or "—", "—"))
        missing = "；".join(f"{labels.label('five_item', i.item, code)}（{labels.label('five_reason', i.reason, code)}）"
                           for i in pf.missing)
        rows.append([klass or "—", name, teacher, pf.person.name,
                     labels.label("school_member", pf.person.school_member, code) if pf.person.school_member else "—",
                     *[_item_text(i, lang, file.tz, pf.person, show_address) for i in pf.items], missing or "—"])
        flagged.append(bool(pf.missing))
    facts = [(_w(lang, "学校", "School"), file.school), (_w(lang, "日期", "Date"), file.day.isoformat()),
             (_w(lang, "导出时间", "Exported"), labels.local(file.generated_at, file.tz)),
             (_w(lang, "人数", "People"), str(len(file.people))),
             (_w(lang, "五个必清未清人数", "People with items not clear"), str(sum(flagged)))]
    return Sheet(f"{_w(lang, '一校一档', 'School file')} {file.school}", facts, header, rows, flagged)


def xlsx(file: SchoolFile, lang: str = "zh", *, show_address: bool = False) -> bytes:
    s = sheet(file, lang, show_address=show_address)
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = _w(lang, "一校一档", "School file")
    ws.append([s.title])
    ws["A1"].font = Font(bold=True, size=14)
    for key, value in s.facts:
        ws.append([key, value])
    ws.append([])
    ws.append(s.header)
    head = ws.max_row
    for cell in ws[head]:
        cell.font = Font(bold=True)
    miss = PatternFill("solid", fgColor="FFF2CC")
    for row, flag in zip(s.rows, s.flagged):
        ws.append(row)
        if flag:
            for cell in ws[ws.max_row]:
                cell.fill = miss
    widths = [8, 14, 12, 10, 8, 12, 16, 16, 30, 34, 40]
    for i, width in enumerate(widths[:len(s.header)]):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    for row in ws.iter_rows(min_row=head + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(row=head + 1, column=1)
    buf = io.BytesIO()
    book.properties.title = s.title
    book.properties.created = datetime(2020, 1, 1)  # the same file for the same data: no build time inside
    book.save(buf)
    return buf.getvalue()


def _font() -> str:
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    return PDF_FONT


def pdf(file: SchoolFile, lang: str = "zh", *, show_address: bool = False) -> bytes:
    s = sheet(file, lang, show_address=show_address)
    font = _font()
    body = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5, wordWrap="CJK")
    bold = ParagraphStyle("head", parent=body, fontSize=8)
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=10 * mm, bottomMargin=12 * mm, title=s.title, author="qrgate",
                            invariant=1)
    facts = "　".join(f"{escape(k)}：{escape(v)}" for k, v in s.facts)
    data = [[Paragraph(escape(h), bold) for h in s.header]]
    data += [[Paragraph(escape(c), body) for c in row] for row in s.rows]
    widths = [w * mm for w in (14, 22, 18, 18, 13, 14, 20, 20, 40, 48, 50)][:len(s.header)]
    table = Table(data, colWidths=widths, repeatRows=1)
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD"))]
    style += [("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor("#FFF2CC"))
              for i, flag in enumerate(s.flagged) if flag]
    table.setStyle(TableStyle(style))

    def footer(canvas: object, document: object) -> None:
        canvas.setFont(font, 7)  # type: ignore[attr-defined]
        canvas.drawString(10 * mm, 6 * mm, f"{s.title} · {_w(lang, '第', 'page ')}"  # type: ignore[attr-defined]
                          f"{document.page}{_w(lang, '页', '')}")  # type: ignore[attr-defined]

    doc.build([Paragraph(escape(s.title), title), Paragraph(facts, body), Spacer(1, 4 * mm), table],
              onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()

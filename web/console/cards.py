"""Cards in bulk: one PDF (an A6 page per card, or A4 sheets of four) for the People list's selection
or the reprint list, streamed card by card with the drawing in a worker thread (the event loop keeps
serving gates and pages while a community's cards are drawn)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway import reissue, scoped
from gateway.clock import local_today
from keys import Status

from .. import store
from ..card import LAYOUTS, CardsPdf
from ..passview import ResidentPass
from .common import redirect, services, user

BATCH = 200  # rows read at a time while the PDF streams
MAX_CARDS = 5000  # one PDF; more is a narrower filter (a community at a time)


class CardSource(Protocol):
    """What a card is drawn from: a store row of the selection or of the reprint list."""

    @property
    def name(self) -> str: ...
    @property
    def document_last4(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def serial(self) -> str: ...
    @property
    def qr_text(self) -> str: ...
    @property
    def expires_at(self) -> str: ...


def view(row: CardSource, tz: ZoneInfo) -> ResidentPass:
    return ResidentPass(serial=row.serial, qr_text=row.qr_text, name=row.name, document=row.document_last4,
                        status=Status(row.status), expires_at=datetime.fromisoformat(row.expires_at), revoked=False,
                        tz=tz)


def layout_of(value: object) -> str:
    return value if isinstance(value, str) and value in LAYOUTS else "a6"


async def stream(request: web.Request, rows: AsyncIterator[CardSource], *, layout: str, filename: str,
                 done: Callable[[list[str]], Awaitable[None]]) -> web.StreamResponse:
    """Write the cards of `rows` as one PDF; `done(serials)` runs once the last page is written,
    before the response ends (a broken download raises on the way and records nothing)."""
    response = web.StreamResponse(headers={
        "Content-Type": "application/pdf", "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{filename}"'})
    await response.prepare(request)
    pdf, sent = CardsPdf(layout), []
    await response.write(pdf.start())
    async for row in rows:
        await response.write(await asyncio.to_thread(pdf.add, view(row, services(request).config.tz)))  # Pillow off the event loop
        sent.append(row.serial)
    await response.write(pdf.finish())
    await done(sent)
    await response.write_eof()
    return response


def _selection(request: web.Request, form: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    name = form.get("q", "").strip()[:64] or None
    if name and any(c.isdigit() for c in name):
        name = None  # a number search is a look-up of one person, not a selection to print
    community = form.get("community", "").strip()[:64] or None
    chosen = form.get("filter", "")
    return name, community, chosen if chosen in store.PEOPLE_FILTERS else None


async def people_cards(request: web.Request) -> web.StreamResponse:
    """The cards of everyone the People list's filters select (within the scope) who holds a live pass."""
    svc = services(request)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    name, community, chosen = _selection(request, form)
    layout = layout_of(form.get("layout"))
    me = user(request).principal()
    reach = await scoped.reach(svc.db.read, me)
    today = local_today(svc.config.tz).isoformat()
    back = {k: v for k, v in (("q", name), ("community", community), ("filter", chosen)) if v}
    count = await store.card_count(svc.db.read, name=name, community=community, filter=chosen, today=today,
                                   reach=reach)
    if count == 0:
        raise redirect("/console/people", **back, done="no_cards")
    if count > MAX_CARDS:
        raise redirect("/console/people", **back, done="too_many_cards")

    async def rows() -> AsyncIterator[CardSource]:
        after = 0
        while batch := await store.card_rows(svc.db.read, name=name, community=community, filter=chosen,
                                             today=today, after_id=after, limit=BATCH, reach=reach):
            for row in batch:
                yield row
            after = batch[-1].person_id

    async def done(serials: list[str]) -> None:
        await reissue.cards_printed_for(svc.db, serials, me, {
            "community": community, "filter": chosen, "by_name": name is not None, "layout": layout})

    return await stream(request, rows(), layout=layout, filename=f"qrgate-cards-{community or 'selection'}.pdf"
                        if community and community.isascii() and community.replace("-", "").isalnum()
                        else "qrgate-cards.pdf", done=done)


def setup(app: web.Application) -> None:
    app.router.add_post("/people/cards.pdf", people_cards)

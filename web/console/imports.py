"""Household-list import in the console: upload, a preview of every row with its errors, confirm.

Nothing changes until the worker confirms. Between preview and confirm the upload waits in the
data folder, encrypted with the gateway's data key (it holds ID numbers) and bound to the account;
it is deleted on confirm and after an hour.
"""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path

from aiohttp import web

from gateway import people_import
from gateway.errors import Conflict, InvalidInput

from .common import error_words, redirect, render, say, services, user

PENDING_SECONDS = 3600


def _folder(request: web.Request) -> Path:
    folder = services(request).config.data_dir / "imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    for old in folder.glob("*.bin"):  # forgotten previews go after an hour
        if old.stat().st_mtime < time.time() - PENDING_SECONDS:
            old.unlink(missing_ok=True)
    return folder


def _path(request: web.Request, ticket: str) -> Path | None:
    if not ticket.isalnum() or len(ticket) > 64:
        return None
    return _folder(request) / f"{user(request).account_id}-{ticket}.bin"


async def form(request: web.Request) -> web.Response:
    return render(request, "console/import.html", {"checked": None, "error": None, "ticket": "", "file_name": ""})


async def template(request: web.Request) -> web.Response:
    return web.Response(body=people_import.template_csv(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="qrgate-household-template.csv"'})


async def preview(request: web.Request) -> web.Response:
    upload = (await request.post()).get("file")
    if not isinstance(upload, web.FileField):
        return render(request, "console/import.html", {
            "checked": None, "ticket": "", "file_name": "",
            "error": say(request, "请选择一个 CSV 或 XLSX 文件", "Choose a CSV or XLSX file")}, 422)
    data = upload.file.read()
    svc = services(request)
    try:
        rows = people_import.read_table(data, upload.filename)
    except InvalidInput as exc:
        return render(request, "console/import.html", {"checked": None, "error": error_words(request, exc), "ticket": "",
                                                       "file_name": upload.filename}, 422)
    checked = await people_import.check(svc, rows, user(request).principal())
    ticket = secrets.token_hex(16)
    path = _path(request, ticket)
    assert path is not None
    path.write_bytes(svc.cipher.encrypt("import", base64.b64encode(data).decode()))
    path.chmod(0o600)
    return render(request, "console/import.html", {"checked": checked, "error": None, "ticket": ticket,
                                                   "file_name": upload.filename[:100]})


async def confirm(request: web.Request) -> web.Response:
    form_data = await request.post()
    ticket, mode = str(form_data.get("ticket", "")), form_data.get("mode")
    path = _path(request, ticket)
    if path is None or not path.exists():
        return render(request, "console/import.html", {
            "checked": None, "ticket": "", "file_name": "",
            "error": say(request, "预览已过期，请重新上传", "The preview has expired: upload the file again")}, 409)
    svc = services(request)
    data = base64.b64decode(svc.cipher.decrypt("import", path.read_bytes()))
    name = str(form_data.get("file_name", ""))[:100]
    try:
        done = await people_import.run(svc, people_import.read_table(data, name), user(request).principal(),
                                       valid_only=mode == "valid", file_name=name)
    except Conflict as exc:
        checked = await people_import.check(svc, people_import.read_table(data, name), user(request).principal())
        return render(request, "console/import.html", {"checked": checked, "error": error_words(request, exc), "ticket": ticket,
                                                       "file_name": name}, 409)
    path.unlink(missing_ok=True)
    raise redirect("/console/people", done="imported", n=str(done.imported))


def setup(app: web.Application) -> None:
    app.router.add_get("/people/import", form)
    app.router.add_get("/people/import/template.csv", template)
    app.router.add_post("/people/import", preview)
    app.router.add_post("/people/import/confirm", confirm)

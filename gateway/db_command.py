"""`qrgate db copy --from SRC --to DST`: SRC and DST are data folders (SQLite) or postgresql:// URLs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from keys.exitcodes import Exit

from . import dbcopy
from .config import GatewayConfig
from .db import Database, StoreError, is_url, redacted
from .errors import GatewayError


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="the gateway's database")
    dsub = db.add_subparsers(dest="db_cmd", required=True)
    copy = dsub.add_parser("copy", help="copy a city into an empty database (SQLite <-> PostgreSQL), "
                                        "then compare row counts and checksums of every table")
    copy.add_argument("--from", dest="source", required=True, metavar="SRC",
                      help="a data folder (its gateway.sqlite3) or a postgresql:// URL")
    copy.add_argument("--to", dest="target", required=True, metavar="DST",
                      help="an empty database: a data folder (created) or a postgresql:// URL")
    copy.set_defaults(func=run_copy)


def _target(text: str) -> str | Path:
    return text if is_url(text) else GatewayConfig.for_data_dir(Path(text)).database


def _name(target: str | Path) -> str:
    return redacted(target) if isinstance(target, str) else str(target)


async def _copy(source: str | Path, target: str | Path) -> list[dbcopy.TableResult]:
    src = await Database.open(source)
    try:
        dst = await Database.open(target)
        try:
            return await dbcopy.copy(src, dst)
        finally:
            await dst.close()
    finally:
        await src.close()


def run_copy(args: argparse.Namespace) -> int:
    source, target = _target(args.source), _target(args.target)
    if isinstance(source, Path) and not source.exists():  # never copy from a mistyped, empty folder
        print(f"qrgate db copy: no gateway database at {source}", file=sys.stderr)
        return Exit.CONFIG
    if str(source) == str(target):
        print("qrgate db copy: source and target are the same database", file=sys.stderr)
        return 1
    try:
        results = asyncio.run(_copy(source, target))
    except (GatewayError, StoreError) as exc:
        print(f"qrgate db copy: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    print(f"{'TABLE':<22} {'ROWS FROM':>10} {'ROWS TO':>10}  CHECKSUM (from = to)")
    for r in results:
        mark = r.checksum_from if r.equal else f"{r.checksum_from} != {r.checksum_to}"
        print(f"{r.name:<22} {r.rows_from:>10} {r.rows_to:>10}  {mark}")
    bad = [r.name for r in results if not r.equal]
    if bad:
        print(f"qrgate db copy: tables differ after the copy: {', '.join(bad)}", file=sys.stderr)
        return 1
    print(f"copied {_name(source)} -> {_name(target)}: {len(results)} tables equal. "
          "Keys and data key stay in the data folder: give every node the same copy.")
    return 0

"""`qrgate key-areas list|set|remove`: the key epidemic areas from the command line (audited as cli)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from keys.exitcodes import Exit
from typing import Any

from . import key_areas, regions
from .auth import CLI
from .config import GatewayConfig
from .errors import GatewayError
from .services import open_services


def register(sub: argparse._SubParsersAction) -> None:
    areas = sub.add_parser("key-areas", help="key epidemic areas (GB/T 2260 prefixes) that mean quarantine")
    asub = areas.add_subparsers(dest="key_areas_cmd", required=True)
    listing = asub.add_parser("list", help="prefix, name, from, until")
    put = asub.add_parser("set", help="add a key area or change its period; recomputes quarantines")
    put.add_argument("prefix", help="2..6 digits of a region code, e.g. 42 (Hubei) or 4201 (Wuhan), or "
                                     "the region's name (湖北省, 湖北省武汉市)")
    put.add_argument("--from", dest="start", required=True, help="first arrival day that counts (YYYY-MM-DD)")
    put.add_argument("--until", default=None, help="last arrival day that counts (default: open)")
    put.add_argument("--reason", required=True, help="why (audit log)")
    remove = asub.add_parser("remove", help="remove a key area; recomputes quarantines")
    remove.add_argument("prefix", help="the key area's prefix, as 'key-areas list' shows it")
    remove.add_argument("--reason", required=True, help="why (audit log)")
    for p in (listing, put, remove):
        p.add_argument("--data", type=Path, default=Path("data"), help="data folder (default: ./data)")
    areas.set_defaults(func=run)


async def _run(config: GatewayConfig, args: argparse.Namespace) -> list[str]:
    if args.key_areas_cmd in ("set", "remove"):  # a region's name (湖北省, 武汉市) means its prefix
        args.prefix = regions.prefix_for(args.prefix) or args.prefix
    async with open_services(config) as svc:
        lines: list[str] = []
        if args.key_areas_cmd == "set":
            body: dict[str, Any] = {"from": args.start, "until": args.until, "reason": args.reason}
            result = await key_areas.set_area(svc, args.prefix, body, CLI)
        elif args.key_areas_cmd == "remove":
            result = await key_areas.remove_area(svc, args.prefix, {"reason": args.reason}, CLI)
        else:
            result = None
        if result is not None:
            lines.append(f"key area {result.prefix}: {result.people} people recomputed, "
                         f"{result.reissued} passes reissued")
        for area in await key_areas.listing(svc):
            lines.append(f"{area['prefix']:<6}  {area['name'] or '?':<16}  from {area['from']}  "
                         f"until {area['until'] or '-'}")
        return lines


def run(args: argparse.Namespace) -> int:
    config = GatewayConfig.for_data_dir(args.data)
    if not config.database.exists():
        print(f"qrgate key-areas: no gateway database at {config.database}", file=sys.stderr)
        return Exit.CONFIG
    try:
        lines = asyncio.run(_run(config, args))
    except GatewayError as exc:
        print(f"qrgate key-areas: {exc.field + ': ' if exc.field else ''}{exc.message}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0

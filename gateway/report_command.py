"""`qrgate report daily --date D [--site CODE] [--format csv|json] [--data DIR]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path

from keys.exitcodes import Exit

from . import reports
from .clock import now
from .commands import config_from
from .config import GatewayConfig
from .errors import GatewayError
from .services import open_services
from .validate import iso_date


def _day(text: str) -> date:
    try:
        return iso_date(text, "--date")
    except GatewayError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="daily reports (日报告 / 零报告)")
    rsub = report.add_subparsers(dest="report_cmd", required=True)
    daily = rsub.add_parser("daily", help="print the daily report of every site and the city, or of one site")
    daily.add_argument("--date", type=_day, required=True, help="the day, YYYY-MM-DD (site time zones)")
    daily.add_argument("--site", default=None, help="one site's code (default: every site and the city)")
    daily.add_argument("--format", choices=("json", "csv"), default="json", help="json (default) or csv")
    daily.add_argument("--data", type=Path, default=Path("data"), help="data folder (default: ./data)")
    from .cli import database_option, timezone_option  # the one definition of --database (cli imports this module)

    database_option(daily)
    timezone_option(daily)
    daily.set_defaults(func=run_daily)


async def _report(config: GatewayConfig, day: date, site: str | None) -> dict[str, object]:
    async with open_services(config, keys=False) as svc:
        return await reports.daily_report(svc.db, day, now=now(), city_timezone=config.timezone, site=site)


def run_daily(args: argparse.Namespace) -> int:
    config = config_from(args.data, timezone=args.timezone)
    if config.database_url is None and not config.database.exists():  # never create an empty gateway
        print(f"qrgate report: no gateway database at {config.database}", file=sys.stderr)
        return Exit.CONFIG
    try:
        report = asyncio.run(_report(config, args.date, args.site))
    except GatewayError as exc:
        print(f"qrgate report: {exc.message}", file=sys.stderr)
        return 1
    if args.format == "csv":
        sys.stdout.write(reports.to_csv(report))
    else:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0

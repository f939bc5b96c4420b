"""Household-list import: 10,000 rows read, checked and registered in one transaction (target < 30 s).

    .venv/bin/python bench/bench_import.py [ROWS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from gateway import idcard, people_import
from gateway.auth import CLI
from gateway.config import GatewayConfig
from gateway.services import open_services


def household_csv(rows: int) -> bytes:
    lines = ["姓名,证件类型,证件号码,电话,社区,来自地区,抵达日期"]
    for i in range(rows):
        number = idcard.make(f"320583{1950 + i % 50}{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}")
        lines.append(f"居民{i},resident_id,{number},139{i:08d},C-{i % 20},"
                     + ("420100,2020-02-01" if i % 10 == 0 else ","))
    return ("\n".join(lines) + "\n").encode("utf-8")


async def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_services(GatewayConfig.for_data_dir(Path(tmp))) as svc:
            data = household_csv(rows)
            start = time.perf_counter()
            table = people_import.read_table(data, "bench.csv")
            read = time.perf_counter()
            checked = await people_import.check(svc, table, CLI)
            checked_at = time.perf_counter()
            done = await people_import.run(svc, table, CLI, valid_only=True)
            end = time.perf_counter()
    print(f"rows={rows} valid={checked.valid} imported={done.imported}")
    one_call = (read - start) + (end - checked_at)  # what `qrgate people import FILE` does
    print(f"read {read - start:.2f} s; preview (check only) {checked_at - read:.2f} s; "
          f"check + import in one transaction {end - checked_at:.2f} s "
          f"({rows / (end - checked_at):.0f} rows/s); read + check + import {one_call:.2f} s; "
          f"target < 30 s: {'met' if one_call < 30 else 'MISSED'}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))

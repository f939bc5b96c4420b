"""GB/T 2260 administrative division codes, by name: the public 民政部 lists as data (gateway/data/gb2260.tsv).

The file holds every county-level-and-above record since 1981, withdrawn ones too, from
yescallop/areacodes (CC0; source and commit in the file's head; rebuilt by tools/gb2260_build.py).
Two rules read it:

- an **origin** (where a person comes from) is a code in use at some time since 1 January 2020
  (`ORIGIN_SINCE`): today's codes and the 2020 ones withdrawn since, so a file registered in 2020
  stays valid;
- an **ID number's region** is a code the list ever held: a number keeps the code of the place and
  year it was issued, decades after a merger withdrew it. Also accepted: the "市辖区" code XXXX01
  under a listed prefecture (older numbers carry it), and 810000/820000/830000, the prefixes of the
  residence permits of Hong Kong, Macao and Taiwan residents (GB/T 2260 has no 830000).

Names are Chinese for every record; English for the province level and the prefectures of the
2020 key areas only (the source has no romanised names): elsewhere an English page shows the
Chinese name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from . import canonical
from .errors import InvalidInput

ORIGIN_SINCE = 2020  # an origin's code was in use on or after 1 January of this year
PERMIT_PREFIXES = frozenset(("810000", "820000", "830000"))  # 港澳台居民居住证 numbers
DATA = "data/gb2260.tsv"
_SPACES = re.compile(r"[\s\u3000·・]+")


@dataclass(frozen=True, slots=True)
class Record:
    code: str
    level: int  # 1 province, 2 prefecture, 3 county
    start: int
    end: int | None  # the year the code was withdrawn or changed; None: in use
    province: str
    prefecture: str  # at the time; empty for a county directly under its province
    name: str
    en: str

    @property
    def in_use(self) -> bool:
        return self.end is None


@dataclass(frozen=True, slots=True)
class Table:
    by_code: dict[str, tuple[Record, ...]]  # newest first
    source: str  # the data file's source line


@cache
def table() -> Table:
    found: dict[str, list[Record]] = defaultdict(list)
    source = ""
    text = files("gateway").joinpath(DATA).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#"):
            source = source or (line[2:] if line.startswith("# source:") else "")
            continue
        code, level, start, end, province, prefecture, name, en = line.split("\t")
        if code == "code":
            continue
        found[code].append(Record(code, int(level), int(start), int(end) if end else None, province,
                                  prefecture, name, en))
    return Table({c: tuple(sorted(rs, key=lambda r: (r.end is None, r.start), reverse=True))
                  for c, rs in found.items()}, source)


def record(code: str) -> Record | None:
    """The code's record in use, else its latest one; None for a code never listed."""
    found = table().by_code.get(code)
    return found[0] if found else None


def known_province(code: str) -> bool:
    return record(code[:2] + "0000") is not None


def is_origin(code: str) -> bool:
    """A 6-digit code in use at some time since 1 January `ORIGIN_SINCE`."""
    return any(r.end is None or r.end >= ORIGIN_SINCE for r in table().by_code.get(code, ()))


def is_prefix(prefix: str) -> bool:
    """Some origin (a code in use since `ORIGIN_SINCE`) starts with these digits."""
    return any(c.startswith(prefix) and is_origin(c) for c in table().by_code)


def is_id_region(code: str) -> bool:
    """The first six digits of a resident ID number: any code the list ever held (see the module's doc)."""
    if code in table().by_code or code in PERMIT_PREFIXES:
        return True
    return code.endswith("01") and code[:4] + "00" in table().by_code


def _full(prefix: str) -> str:
    return prefix + "0" * (6 - len(prefix))


def parts(code: str, lang: str = "zh") -> list[str]:
    """Province, prefecture, county names for a code or a 2..6-digit prefix ('4201' → 湖北省, 武汉市)."""
    en = lang == "en"
    found: list[str] = []
    province = record(code[:2] + "0000")
    if province is None:
        return found
    found.append(province.en if en and province.en else province.name)
    if len(code) >= 4 and code[2:4] != "00":
        prefecture = record(code[:4] + "00")
        if prefecture is not None:
            found.append(prefecture.en if en and prefecture.en else prefecture.name)
        elif code[2:4] == "90":
            found.append("counties under the province" if en else "省直辖县级行政区划")
    if len(code) == 6 and code[4:] != "00":
        county = record(code)
        if county is not None:
            found.append(county.en if en and county.en else county.name)
    return found


def name(code: str, lang: str = "zh") -> str | None:
    """The most precise name for a code or prefix: '420106' → '湖北省武汉市武昌区', en 'Wuchang, Wuhan, Hubei'."""
    found = parts(code, lang)
    if not found:
        return None
    return ", ".join(reversed(found)) if lang == "en" else "".join(found)


def prefixes() -> list[str]:
    """The key-area prefixes an admin chooses from: every province (2 digits) and prefecture (4) in use."""
    found = []
    for code, records in table().by_code.items():
        if records[0].in_use and records[0].level == 1:
            found.append(code[:2])
        elif records[0].in_use and records[0].level == 2:
            found.append(code[:4])
    return sorted(found)


def _short(code: str) -> str:
    level = record(code).level if record(code) else 3  # type: ignore[union-attr]
    return code[:2] if level == 1 else code[:4] if level == 2 else code


@cache
def _names() -> dict[str, frozenset[str]]:
    """Every way an admin may write an in-use region's name → the prefixes it can mean."""
    found: dict[str, set[str]] = defaultdict(set)
    for code, records in table().by_code.items():
        r = records[0]
        if not r.in_use:
            continue
        prefix = _short(code)
        for written in {r.name, "".join(parts(code)), r.en.casefold() if r.en else ""} - {""}:
            found[written].add(prefix)
    return {k: frozenset(v) for k, v in found.items()}


def prefix_for(text: str, field: str = "prefix") -> str | None:
    """The prefix a region's name means ('湖北省' → '42', '湖北省武汉市' → '4201'); None when `text` is
    digits (a code: the caller checks it); 422 when no region or several have that name."""
    folded = canonical.fold(text) if len(text) <= 100 else text
    if folded.isascii() and folded.isdigit():
        return None
    key = _SPACES.sub("", text.strip()).casefold()
    found = _names().get(key) or _names().get(_SPACES.sub(" ", text.strip()).casefold())
    if not found:
        raise InvalidInput(f"no GB/T 2260 region in use is called {text.strip()[:40]!r}: give its name as "
                           "listed (e.g. 湖北省, 湖北省武汉市) or its code", field=field)
    if len(found) > 1:
        options = ", ".join(f"{p} {name(p)}" for p in sorted(found)[:5])
        raise InvalidInput(f"several regions are called {text.strip()[:40]!r} ({options}): give the full name "
                           "or the code", field=field)
    return next(iter(found))

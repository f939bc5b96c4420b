"""Placeholder translation: SQL written with `:name` or `?` becomes PostgreSQL's `$1, $2, ...`.

Only placeholders outside string literals, quoted identifiers and comments are replaced; `::type`
casts are left alone. `:x IS NULL` (and `IS NOT NULL`) becomes a boolean parameter computed here:
PostgreSQL cannot tell the type of a parameter seen only in `$1 IS NULL`, and the optional-filter
idiom `(:site IS NULL OR site = :site)` is everywhere in our SQL. The result is cached per
statement text (store SQL is a small fixed set).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"""
    '(?:[^']|'')*'          # a string literal
  | "(?:[^"]|"")*"          # a quoted identifier
  | --[^\n]*                # a line comment
  | /\*.*?\*/               # a block comment
  | ::                      # a cast, never a placeholder
  | (?: :(?P<name>[A-Za-z_][A-Za-z0-9_]*) | (?P<qmark>\?) )
    (?P<null>\s+IS\s+(?P<not>NOT\s+)?NULL\b)?
""", re.VERBOSE | re.DOTALL | re.IGNORECASE)

Slot = tuple[str | int, str]  # (parameter name or position, "value" | "is_null" | "not_null")


@lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[str, tuple[Slot, ...], bool]:
    """(numbered SQL, what each $n takes, whether the statement uses `?`).

    A statement uses one style: names (a dict is passed) or `?` (a sequence is passed).
    """
    slots: list[Slot] = []
    out: list[str] = []
    last = 0
    names = qmarks = 0
    for match in _TOKEN.finditer(sql):
        name, qmark = match.group("name"), match.group("qmark")
        if name is None and qmark is None:
            continue
        out.append(sql[last:match.start()])
        last = match.end()
        key: str | int
        if qmark is not None:
            key = qmarks
            qmarks += 1
        else:
            key = name
            names += 1
        if match.group("null"):
            slot: Slot = (key, "not_null" if match.group("not") else "is_null")
        else:
            slot = (key, "value")
        if slot not in slots:
            slots.append(slot)
        out.append(f"${slots.index(slot) + 1}")
    out.append(sql[last:])
    if names and qmarks:
        raise ValueError("a statement mixes :name and ? placeholders")
    return "".join(out), tuple(slots), bool(qmarks)


def _arg(value: Any, kind: str) -> Any:
    if kind == "is_null":
        return value is None
    if kind == "not_null":
        return value is not None
    return value


def bind(sql: str, params: Mapping[str, Any] | Sequence[Any] | None) -> tuple[str, list[Any]]:
    """The numbered SQL and its argument list for `params` (a dict for names, a sequence for `?`)."""
    text, slots, positional = translate(sql)
    if not slots:
        return text, []
    if positional:
        if isinstance(params, Mapping) or params is None:
            raise ValueError("statement takes positional parameters: pass a sequence")
        values = list(params)
        if len(values) != 1 + max(int(key) for key, _ in slots):
            raise ValueError(f"statement takes {1 + max(int(key) for key, _ in slots)} positional parameters")
        return text, [_arg(values[int(key)], kind) for key, kind in slots]
    if not isinstance(params, Mapping):
        raise ValueError("statement takes named parameters: pass a dict")
    try:
        return text, [_arg(params[str(key)], kind) for key, kind in slots]
    except KeyError as missing:
        raise ValueError(f"parameter {missing} is missing") from None

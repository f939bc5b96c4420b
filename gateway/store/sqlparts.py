"""Pieces of SQL built from data (never from names a request chose): portable IN lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def in_list(column: str, values: Iterable[str], name: str, params: dict[str, Any]) -> str:
    """`column IN (:name0, …)` with its parameters added to `params`; an empty list matches nothing."""
    items = sorted(set(values))
    if not items:
        return "0 = 1"
    for i, value in enumerate(items):
        params[f"{name}{i}"] = value
    return f"{column} IN ({', '.join(f':{name}{i}' for i in range(len(items)))})"

"""A wrapper that keeps secrets out of reprs, logs and tracebacks."""

from __future__ import annotations

from typing import NoReturn


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        self._value = value.encode() if isinstance(value, str) else value

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        import hmac

        return isinstance(other, Secret) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(Secret)

    def __reduce__(self) -> NoReturn:  # never pickle a secret by accident
        raise TypeError("a Secret cannot be pickled")

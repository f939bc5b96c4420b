"""Exceptions raised by keys/.

Caller mistakes raise TypeError/ValueError at once. Untrusted data handed to
`decide` never raises: it gives a Decision. The loaders of signed documents
(revocation lists, site policies, bundles) raise DocumentError, which the
scanner and CLIs turn into a clear message.

    KeysError
    ├── KeyStoreError      the key folder is missing, locked or inconsistent
    │   └── PassphraseError  no passphrase, or the wrong one (a set-up problem: exit 78)
    ├── DocumentError      a signed document is malformed, unsigned or signed by an unknown key
    ├── PolicyError        a site policy's JSON form is invalid (names the field)
    ├── PublicKeyError     an Ed25519 public key from outside is unusable: wrong length, not
    │                      canonical, of small order, off the curve (names where; keys/publickey.py)
    └── EntryError         a gate entry's JSON form is invalid (names the field; keys/entry.py)
"""

from __future__ import annotations


class KeysError(Exception):
    pass


class KeyStoreError(KeysError):
    pass


class PassphraseError(KeyStoreError):
    pass


class DocumentError(KeysError, ValueError):
    pass


class PolicyError(KeysError, ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class EntryError(KeysError, ValueError):
    """`field` ('' for the entry as a whole) and what is wrong with it."""

    def __init__(self, field: str, message: str, *, sentence: str | None = None) -> None:
        super().__init__(sentence or (f"{field} {message}" if field else f"the entry {message}"))
        self.field = field
        self.message = message
        self._sentence = sentence

    def at(self, where: str) -> tuple[str, str]:
        """(field path, one sentence) for an entry found at `where`, e.g. `entries[3]`."""
        path = f"{where}.{self.field}" if self.field else where
        return path, self._sentence or f"{path} {self.message}"


class PublicKeyError(KeysError, ValueError):
    """`where` (a field, e.g. `keys[2].x`) and what is wrong with the key there."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where} {message}")
        self.where = where
        self.message = message

"""`qrgate keys ...` and `qrgate verify ...`: argument parsing and exit codes only (argparse, no web)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from .decide import decide
from .errors import DocumentError, KeysError, PolicyError
from .keystore import KeyStore
from .policy import SitePolicy, load_policy
from .reasons import Reason
from .revocations import load_revocations
from .trust import TrustSet

EXIT_ALLOW, EXIT_DENY, EXIT_UNREADABLE, EXIT_USAGE = 0, 1, 2, 64
MAX_INPUT = 1 << 20


class CliError(Exception):
    """A problem with what the user gave us; printed as one line, exit 64."""


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="issuer keys: init, list, rotate, withdraw, jwks")
    keys.add_argument("--dir", type=Path, default=None,
                      help="key folder (default: DATA/keys, DATA from --data or ./data)")
    keys.add_argument("--data", type=Path, default=Path("data"), help="data folder")
    ks = keys.add_subparsers(dest="keys_cmd", required=True)
    ks.add_parser("init", help="create the folder and the first signing key")
    ks.add_parser("list", help="list keys with their state")
    ks.add_parser("rotate", help="make a new signing key; old ones stay trusted until their passes expire")
    w = ks.add_parser("withdraw", help="distrust a key at once (compromise)")
    w.add_argument("kid", help="the key id in hex, as 'keys list' shows it")
    ks.add_parser("jwks", help="print the trust set as a JWKS")
    keys.set_defaults(func=run_keys)

    v = sub.add_parser("verify", help="decide a pass offline, as a gate would")
    v.add_argument("text", help="the QR text, or - to read it from standard input")
    v.add_argument("--jwks", type=Path, required=True, help="trusted keys (JWKS file)")
    v.add_argument("--revocations", type=Path, help="signed revocation list (binary COSE file)")
    v.add_argument("--policy", type=Path, help="site policy: JSON form, or a signed COSE file")
    v.add_argument("--at", help="decide at this ISO 8601 time (default: now)")
    v.add_argument("--temperature", type=float, help="measured temperature in °C")
    v.set_defaults(func=run_verify)
    _usage_errors_exit_64(v)


def _usage_errors_exit_64(parser: argparse.ArgumentParser) -> None:
    """argparse exits 2 on bad arguments, which `verify` uses for "unreadable": use 64 (EX_USAGE)."""
    def error(message: str) -> None:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    parser.error = error  # type: ignore[method-assign,assignment]


def run_keys(args: argparse.Namespace) -> int:
    store = KeyStore(args.dir or args.data / "keys")
    try:
        if args.keys_cmd == "init":
            key = store.init()
            print(f"created signing key {key.kid.hex()} in {store.folder}")
        elif args.keys_cmd == "list":
            for info in store.list():
                until = f"  trusted until {info.trusted_until}" if info.trusted_until else ""
                print(f"{info.kid}  {info.state:9}  created {info.created}{until}")
        elif args.keys_cmd == "rotate":
            print(f"new signing key {store.rotate().kid.hex()}")
        elif args.keys_cmd == "withdraw":
            store.withdraw(args.kid)
            print(f"withdrew {args.kid}: every pass it signed now fails as unknown_key")
        elif args.keys_cmd == "jwks":
            print(json.dumps(store.trust_set().to_jwks(), indent=2))
    except KeysError as exc:
        print(f"qrgate keys: {exc}", file=sys.stderr)
        return 1
    return 0


def _read_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > 64 * MAX_INPUT:
        raise CliError(f"{path} is too large")
    return data


def _parse_at(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--at: {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_policy_file(path: Path, trust: TrustSet) -> SitePolicy:
    data = _read_file(path)
    if data.lstrip()[:1] == b"{":
        try:
            return SitePolicy.from_json(json.loads(data))
        except (ValueError, PolicyError) as exc:
            raise CliError(f"--policy: {exc}") from None
    try:
        return load_policy(data, trust)
    except DocumentError as exc:
        raise CliError(f"--policy: {exc}") from None


def run_verify(args: argparse.Namespace) -> int:
    try:
        text: str | bytes = sys.stdin.buffer.read(MAX_INPUT + 1) if args.text == "-" else args.text
        try:
            trust = TrustSet.from_jwks(json.loads(_read_file(args.jwks)))
        except (ValueError, DocumentError) as exc:
            raise CliError(f"--jwks: {exc}") from None
        revocations = None
        if args.revocations:
            try:
                revocations = load_revocations(_read_file(args.revocations), trust)
            except DocumentError as exc:
                raise CliError(f"--revocations: {exc}") from None
        policy = load_policy_file(args.policy, trust) if args.policy else None
        now = _parse_at(args.at)
    except CliError as exc:
        print(f"qrgate verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(text, bytes) and args.text == "-":
        text = text.rstrip(b"\r\n")
    decision = decide(text, trust, revocations, policy, now=now, temperature=args.temperature)
    print(json.dumps(decision.to_json(), ensure_ascii=False))
    if decision.allowed:
        return EXIT_ALLOW
    return EXIT_UNREADABLE if decision.reason is Reason.UNREADABLE else EXIT_DENY

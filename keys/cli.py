"""`qrgate keys ...` and `qrgate verify ...`: argument parsing and exit codes only (argparse, no web)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from .authority import KeyAuthority, KeyEvent, load_root_key
from .decide import decide
from .exitcodes import Exit, Failure, for_error
from .errors import DocumentError, KeysError, KeyStoreError, PolicyError
from .keyset import fingerprint, read_unsigned, sign_payload
from .policy import SitePolicy, load_policy
from .reasons import Reason
from .revocations import load_revocations
from .trust import TrustSet

# verify's exit codes, from the one table of every qrgate command (keys/exitcodes.py, docs/cli.md)
EXIT_ALLOW, EXIT_DENY, EXIT_UNREADABLE, EXIT_USAGE = Exit.OK, Exit.REFUSED, Exit.DATAERR, Exit.USAGE
MAX_INPUT = 1 << 20


class CliError(Failure):
    """A problem with what the user gave us: one line; DATAERR (a file's content) unless told."""

    def __init__(self, message: str, code: Exit = Exit.DATAERR) -> None:
        super().__init__(code, message)


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="issuer keys and the root of trust: init, list, rotate, withdraw, "
                                       "jwks, root, keyset")
    keys.add_argument("--dir", type=Path, default=None,
                      help="key folder (default: DATA/keys, DATA from --data or ./data)")
    keys.add_argument("--data", type=Path, default=Path("data"), help="data folder")
    ks = keys.add_subparsers(dest="keys_cmd", required=True)
    ks.add_parser("init", help="create the folder, the first signing key and the root of trust")
    ks.add_parser("list", help="list keys with their state, the root and the key-set version")
    ks.add_parser("rotate", help="make a new signing key; old ones stay trusted until their passes expire")
    w = ks.add_parser("withdraw", help="distrust a key at once (compromise); every gate learns it at its next sync")
    w.add_argument("kid", help="the key id in hex, as 'keys list' shows it")
    w.add_argument("--reason", required=True, help="why (kept in the key set and shown to admins)")
    ks.add_parser("jwks", help="print the trust set as a JWKS")
    root = ks.add_parser("root", help="the root of trust: show its fingerprint, or rotate it")
    root.add_argument("root_cmd", choices=("show", "rotate"),
                      help="show: its fingerprint; rotate: a new root, announced by the old one")
    kset = ks.add_parser("keyset", help="the signed key set: show, publish, export/sign/import for an offline root")
    kset_sub = kset.add_subparsers(dest="keyset_cmd", required=True)
    kset_sub.add_parser("show", help="the served key set, and the one waiting for a signature")
    kset_sub.add_parser("publish", help="sign the key set again (the root key must be here)")
    exp = kset_sub.add_parser("export", help="write the pending (unsigned) key set to FILE")
    exp.add_argument("file", type=Path, help="where to write it (carry it to the root's machine)")
    sign = kset_sub.add_parser("sign", help="on the root's machine: sign an exported key set")
    sign.add_argument("--in", dest="infile", type=Path, required=True, help="the exported key set")
    sign.add_argument("--out", type=Path, required=True, help="where to write the signed key set")
    sign.add_argument("--root-key", type=Path, required=True,
                      help="the root's encrypted key (root-KID.pem); passphrase from QRGATE_ROOT_PASSPHRASE")
    imp = kset_sub.add_parser("import", help="store a key set signed on the root's machine; it is served next")
    imp.add_argument("file", type=Path, help="the signed key set 'keyset sign' wrote")
    keys.set_defaults(func=run_keys)
    _folders_after_the_subcommand(keys)

    v = sub.add_parser("verify", help="decide a pass offline, as a gate would")
    v.add_argument("text", help="the QR text, or - to read it from standard input")
    v.add_argument("--jwks", type=Path, required=True, help="trusted keys (JWKS file)")
    v.add_argument("--revocations", type=Path, help="signed revocation list (binary COSE file)")
    v.add_argument("--policy", type=Path, help="site policy: JSON form, or a signed COSE file")
    v.add_argument("--at", help="decide at this ISO 8601 time (default: now)")
    v.add_argument("--temperature", type=float, help="measured temperature in °C")
    v.set_defaults(func=run_verify)


def _folders_after_the_subcommand(parser: argparse.ArgumentParser) -> None:
    """`qrgate keys init --data DIR` works as `qrgate keys --data DIR init` does (as every other command's)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.add_argument("--data", type=Path, default=argparse.SUPPRESS,
                                   help="data folder (default: ./data; also before the subcommand)")
                child.add_argument("--dir", type=Path, default=argparse.SUPPRESS,
                                   help="key folder (default: DATA/keys; also before the subcommand)")
                _folders_after_the_subcommand(child)


_SAID = {
    "keys.init": "created signing key {id}", "keys.rotate": "new signing key {id}",
    "keys.withdraw": "withdrew key {id}", "root.init": "created root of trust {id}",
    "root.rotate": "new root of trust {id} (announced by the old root in key set {announced_in})",
    "keyset.publish": "signed key set version {id}",
    "keyset.pending": "key set version {id} waits for the offline root: export, sign and import it",
    "keyset.import": "imported key set version {id}: gates receive it at their next sync",
}


def _print_events(events: list[KeyEvent]) -> None:
    for e in events:
        print(_SAID[e.action].format(id=e.target.split(":", 1)[1], **e.detail))


def run_keys(args: argparse.Namespace) -> int:
    if args.keys_cmd == "keyset" and args.keyset_cmd == "sign":
        return _sign_offline(args)
    authority = KeyAuthority(args.dir or args.data / "keys")
    store = authority.issuers
    try:
        if args.keys_cmd == "init":
            if store.exists() or authority.has_root():
                raise KeyStoreError(f"{store.folder} already holds keys")
            _print_events(authority.init())
        elif args.keys_cmd == "list":
            for info in store.list():
                until = f"  trusted until {info.trusted_until}" if info.trusted_until else ""
                why = f"  reason: {info.reason}" if info.reason else ""
                print(f"{info.kid}  {info.state:9}  created {info.created}{until}{why}")
            if authority.has_root():
                root = authority.current_root()
                print(f"root {root.fingerprint}  ({'on this machine' if authority.root_online() else 'offline'})")
                _, keyset = authority.current_keyset()
                print(f"key set version {keyset.version}, valid until {keyset.valid_until.isoformat()}")
        elif args.keys_cmd == "rotate":
            _print_events(authority.rotate())
        elif args.keys_cmd == "withdraw":
            _print_events(authority.withdraw(args.kid, args.reason))
            print(f"withdrew {args.kid}: at their next sync every gate denies its passes as key_withdrawn")
        elif args.keys_cmd == "jwks":
            print(json.dumps(store.trust_set().to_jwks(), indent=2))
        elif args.keys_cmd == "root":
            if args.root_cmd == "rotate":
                _print_events(authority.rotate_root())
            root = authority.current_root()
            print(f"root of trust {root.fingerprint}  kid {root.kid}  created {root.created}")
        elif args.keys_cmd == "keyset":
            return _keyset(authority, args)
    except KeysError as exc:
        print(f"qrgate keys: {exc}", file=sys.stderr)
        return for_error(exc)
    return 0


def _keyset(authority: KeyAuthority, args: argparse.Namespace) -> int:
    if args.keyset_cmd == "show":
        _, keyset = authority.current_keyset()
        print(f"served: version {keyset.version}, issued {keyset.issued_at.isoformat()}, valid until "
              f"{keyset.valid_until.isoformat()}, {len(keyset.keys)} trusted, {len(keyset.withdrawn)} withdrawn")
        for w in keyset.withdrawn:
            print(f"  withdrawn {w.kid.hex()} at {w.at.isoformat()}: {w.reason}")
        pending = authority.pending()
        if pending is not None:
            print(f"pending: version {read_unsigned(pending).version}, waiting for the root's signature")
    elif args.keyset_cmd == "publish":
        _print_events([authority.publish()])
    elif args.keyset_cmd == "export":
        pending = authority.pending()
        if pending is None:
            raise KeyStoreError("no key set is waiting for a signature")
        args.file.write_bytes(pending)
        print(f"wrote key set version {read_unsigned(pending).version} to {args.file}")
    elif args.keyset_cmd == "import":
        _print_events([authority.import_signed(_read_file(args.file))])
    return 0


def _sign_offline(args: argparse.Namespace) -> int:
    """Runs on the machine that holds the root: needs no key folder, only the root's key file."""
    from .keystore import resolve_passphrase

    try:
        payload = _read_file(args.infile)
        keyset = read_unsigned(payload)
        root = load_root_key(args.root_key, resolve_passphrase(args.root_key.parent, env="QRGATE_ROOT_PASSPHRASE",
                                                               filename="root-passphrase"))
        signed = sign_payload(root, payload)
    except (CliError, KeysError) as exc:
        print(f"qrgate keys: {exc}", file=sys.stderr)
        return for_error(exc)
    args.out.write_bytes(signed)
    print(f"signed key set version {keyset.version} with root {fingerprint(root.public_key)}: {args.out}")
    return 0


def _read_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", Exit.NOINPUT) from None
    if len(data) > 64 * MAX_INPUT:
        raise CliError(f"{path} is too large")
    return data


def _parse_at(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--at: {value!r} is not an ISO 8601 time", Exit.USAGE) from None
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
        return exc.code
    if isinstance(text, bytes) and args.text == "-":
        text = text.rstrip(b"\r\n")
    decision = decide(text, trust, revocations, policy, now=now, temperature=args.temperature)
    print(json.dumps(decision.to_json(), ensure_ascii=False))
    if decision.allowed:
        return EXIT_ALLOW
    return EXIT_UNREADABLE if decision.reason is Reason.UNREADABLE else EXIT_DENY

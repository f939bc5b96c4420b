"""`qrgate-scanner`: argument parsing, wiring and exit codes; the work is done in the modules it calls.

Exit codes are the one table of every qrgate command (keys/exitcodes.py, docs/cli.md): 0 done
· 2 bad arguments · 66 input missing (camera, file, folder, no enrolment QR) · 69 gateway
unreachable · 77 gateway refused (token used or expired, device disabled, bad bundle) · 78 data
folder not enrolled or unreadable · 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from datetime import date
from pathlib import Path

from keys.exitcodes import Exit
from keys.exitcodes import Parser as Parser

from .clock import DEFAULT_MAX_JUMP, boot_clock
from .decoders import DECODERS, make_decoder
from .situation import explain
from .sources import Camera, FrameSource, ImageFolder, SourceError, StdinLines, VideoFile
from .state import Device, DeviceState, Snapshot, StateError
from .sync import (
    BackgroundSync,
    GatewayRefused,
    SyncError,
    check_gateway_url,
    enroll,
    parse_enrolment,
    sync_once,
)

JUMP_HELP = ("seconds: a larger jump of the gateway's signed time is shown and logged but not applied "
             "until an admin runs 'clock accept' (default 600)")
EXIT_OK, EXIT_USAGE, EXIT_NOINPUT = Exit.OK, Exit.USAGE, Exit.NOINPUT
EXIT_UNREACHABLE, EXIT_REFUSED, EXIT_CONFIG, EXIT_INTERRUPTED = (Exit.UNAVAILABLE, Exit.NOPERM, Exit.CONFIG,
                                                                 Exit.INTERRUPTED)
ENROL_TIMEOUT = 120.0


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a temperature: {text!r}") from None
    if not math.isfinite(value) or not 30.0 <= value <= 45.0:
        raise argparse.ArgumentTypeError("temperature must be between 30.0 and 45.0 °C")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError("must be between 0 and 86400 seconds")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from None


def _camera(text: str) -> int:
    if not text.isdigit() or int(text) > 63:
        raise argparse.ArgumentTypeError("camera must be a device number 0..63")
    return int(text)


def _add_sources(p: argparse.ArgumentParser, group: argparse._MutuallyExclusiveGroup) -> None:
    group.add_argument("--camera", type=_camera, metavar="N", help="webcam number (OpenCV)")
    group.add_argument("--video", type=Path, metavar="FILE", help="a video file")
    group.add_argument("--images", type=Path, metavar="DIR", help="a folder of images, in name order")
    p.add_argument("--decoder", choices=sorted(DECODERS), default="zxing", help="QR decoder (default zxing)")
    p.add_argument("--every-frame", action="store_true",
                   help="files only: decode every frame in order instead of realtime (tests)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="qrgate-scanner", description="qrgate gate scanner: decides offline, logs, syncs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data = Parser(add_help=False)
    data.add_argument("--data", type=Path, default=Path("scanner-data"),
                      help="device data folder (default ./scanner-data)")

    e = sub.add_parser("enroll", parents=[data], help="enrol this device with a gateway")
    e.add_argument("--gateway", help="gateway URL, e.g. http://10.0.0.2:8080")
    e.add_argument("--token", help="single-use enrolment token from the admin console")
    e.add_argument("--name", default="gate", help="a name for this gate (default 'gate')")
    e.add_argument("--root", metavar="FINGERPRINT",
                   help="the root-of-trust fingerprint the console shows; enrolment fails on any other")
    _add_sources(e, e.add_mutually_exclusive_group())
    e.add_argument("--max-clock-jump", type=_positive, default=DEFAULT_MAX_JUMP, metavar="S", help=JUMP_HELP)
    e.set_defaults(func=cmd_enroll)

    s = sub.add_parser("sync", parents=[data], help="pull the bundle and push the entry log once")
    s.add_argument("--max-clock-jump", type=_positive, default=DEFAULT_MAX_JUMP, metavar="S", help=JUMP_HELP)
    s.set_defaults(func=cmd_sync)

    c = sub.add_parser("clock", parents=[data], help="the gate's time: show it, or accept a held jump (admin)")
    c.add_argument("clock_cmd", choices=("show", "accept"),
                   help="show: the gate's time and its source; accept: apply a held jump of the gateway's time")
    c.set_defaults(func=cmd_clock)

    r = sub.add_parser("run", parents=[data], help="scan and decide until stopped")
    group = r.add_mutually_exclusive_group(required=True)
    group.add_argument("--stdin", action="store_true",
                       help="QR texts on standard input, one per line; a temperature may follow after a tab")
    _add_sources(r, group)
    r.add_argument("--headless", action="store_true", help="print one JSON line per decision, no window")
    r.add_argument("--direction", choices=("in", "out"), default=None,
                   help="this run scans people going in or out (default: the enrolled direction)")
    r.add_argument("--temperature", type=_temperature, metavar="C",
                   help="measured temperature for every decision of this run")
    r.add_argument("--debounce", type=_positive, default=3.0, metavar="S",
                   help="seconds before the same code in view is decided again (default 3)")
    r.add_argument("--sync-interval", type=_positive, default=60.0, metavar="S",
                   help="seconds between background syncs (default 60)")
    r.add_argument("--no-sync", action="store_true", help="no background sync (offline gate)")
    r.add_argument("--max-clock-jump", type=_positive, default=DEFAULT_MAX_JUMP, metavar="S", help=JUMP_HELP)
    r.add_argument("--no-sound", action="store_true", help="no sound on decisions")
    r.set_defaults(func=cmd_run)

    cp = sub.add_parser("checkpoint", parents=[data],
                        help="road checkpoint: record one vehicle and each person in it (JSON lines on stdin), "
                             "or with a camera, vehicle after vehicle in its window with a form in this terminal")
    cp.add_argument("--plate", help="number plate (none for a person on foot)")
    cp.add_argument("--kind", default="car", help="car, van, bus, truck, motorcycle, other, none (on foot)")
    cp.add_argument("--direction", default="in", help="in or out (default in)")
    cp.add_argument("--origin", help="6-digit region code the vehicle comes from")
    cp.add_argument("--township", required=True, help="destination township code (区镇/办事处)")
    cp.add_argument("--community", required=True, help="destination community code")
    cp.add_argument("--no-sync", action="store_true", help="queue only (offline): the next sync uploads it")
    _add_sources(cp, cp.add_mutually_exclusive_group())
    cp.add_argument("--sync-interval", type=_positive, default=60.0, metavar="S",
                    help="window mode: seconds between background syncs (default 60)")
    cp.add_argument("--no-sound", action="store_true", help="window mode: no sound on decisions")
    cp.set_defaults(func=cmd_checkpoint)
    st = sub.add_parser("stats", parents=[data],
                        help="the gate's capture-to-decision latency for a day (median, p95) from its log")
    st.add_argument("--day", type=_day, metavar="YYYY-MM-DD", help="a day of the gate's clock (default today)")
    st.add_argument("--json", action="store_true", help="one JSON object instead of a line")
    st.set_defaults(func=cmd_stats)
    return parser


def _source(args: argparse.Namespace) -> FrameSource | None:
    if args.camera is not None:
        return Camera(args.camera)
    if args.video is not None:
        return VideoFile(args.video, every_frame=args.every_frame)
    if args.images is not None:
        return ImageFolder(args.images, every_frame=args.every_frame)
    return None


def _fail(message: str, code: int) -> int:
    print(f"qrgate-scanner: {message}", file=sys.stderr)
    return code


def revocation_version(snap: Snapshot) -> str:
    """The gateway's `revocations_seq` of the list in use (0 for an empty list; "none" before any sync)."""
    # `is not None`, not truthiness: an empty RevocationList has len() 0 and is falsy
    return str(snap.revocations.seq) if snap.revocations is not None else "none"


def cmd_enroll(args: argparse.Namespace) -> int:
    source = _source(args)
    if source is not None:
        if args.gateway or args.token:
            return _fail("give either --gateway and --token, or a camera/images with the enrolment QR",
                         EXIT_USAGE)
        found = _read_enrolment_qr(source, args.decoder)
        if found is None:
            return _fail("no enrolment QR (QGENROLL:...) seen", EXIT_NOINPUT)
        gateway, token, qr_root = found
        expect = args.root or qr_root
    else:
        if not args.gateway or not args.token:
            return _fail("enroll needs --gateway and --token (or --camera/--images)", EXIT_USAGE)
        try:
            gateway, token = check_gateway_url(args.gateway), args.token.strip()
        except ValueError as exc:
            return _fail(str(exc), EXIT_USAGE)
        expect = args.root
    try:
        device = enroll(gateway, token, args.data, name=args.name, expect_root=expect)
    except SyncError as exc:  # nothing stored: say what is true of the folder as it was
        return _fail(explain(exc, args.data, enrolling=True), _exit_for(exc))
    print(f"enrolled as {device.device_id} at site {device.site}; data in {args.data}")
    roots = DeviceState(args.data).pinned_root()
    if roots is not None:
        from keys import fingerprint

        print(f"root of trust {fingerprint(roots[0])}: check that the console shows the same")
    result = sync_once(args.data, args.max_clock_jump)
    print(f"synced: revocation list version {revocation_version(result.snapshot)}")
    return EXIT_OK


def _read_enrolment_qr(source: FrameSource, decoder_name: str) -> tuple[str, str, str | None] | None:
    decoder = make_decoder(decoder_name)
    stop = threading.Event()
    deadline = time.monotonic() + ENROL_TIMEOUT
    for frame in source.frames(stop):
        for text in decoder.decode(frame.image):
            try:
                found = parse_enrolment(text)
            except ValueError:
                continue
            stop.set()
            return found
        if time.monotonic() > deadline:
            stop.set()
            break
    return None


def cmd_clock(args: argparse.Namespace) -> int:
    """`clock show`: the gate's time and its source; `clock accept`: apply a held jump (an admin's act)."""
    state = DeviceState(args.data)
    state.device()
    if args.clock_cmd == "accept":
        held = state.accept_held_clock()
        if held is None:
            print("no clock jump is waiting: nothing changed")
            return EXIT_OK
        from datetime import datetime

        from .log import EntryLog

        with EntryLog(state.log_path) as log:
            log.record_event("clock_jump_accepted", f"admin accepted the gateway's time (offset {held.offset:+.1f} s)",
                             datetime.now().astimezone())
        print(f"accepted: offset {held.offset:+.1f} s from the gateway's signed time")
        return EXIT_OK
    from datetime import datetime, timedelta

    from .gate import corrected_offset

    snap = state.load()
    wall = datetime.now().astimezone()
    offset, note = corrected_offset(wall, snap, boot_clock())
    print(f"local clock  {wall.isoformat(timespec='seconds')}")
    print(f"gate time    {(wall + timedelta(seconds=offset)).isoformat(timespec='seconds')}  (offset {offset:+.1f} s"
          + (", carried on the boot clock since the last sync)" if snap.anchor and not note else ")"))
    if note:
        print(f"note         {note}")
    if snap.held_jump is not None:
        print(f"held jump    {snap.held_jump:+.0f} s from the gateway's signed time: 'clock accept' applies it")
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    result = sync_once(args.data, args.max_clock_jump)
    snap = result.snapshot
    print(f"synced: revocations v{revocation_version(snap)}, "
          f"clock offset {snap.clock_offset or 0:+.2f} s, entries sent {result.pushed}, "
          f"already there {result.duplicates}, alerts {len(result.alerts)}")
    return EXIT_OK


class Current:
    """The snapshot in use; replaced whole by the sync thread."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def get(self) -> Snapshot:
        return self.snapshot

    def set(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot


def cmd_run(args: argparse.Namespace) -> int:
    from .display import Headless, Window
    from .gate import Gate
    from .log import EntryLog
    from .pipeline import Pipeline

    state = DeviceState(args.data)
    device = state.device()
    current = Current(state.load())
    source = _source(args)
    decoder = make_decoder(args.decoder) if source is not None else None
    stop = threading.Event()
    output = Headless(sound=False) if args.headless \
        else Window(stop, sound=not args.no_sound, snapshot=current.get)
    syncer = None
    if not args.no_sync:
        syncer = BackgroundSync(args.data, current.set, interval=args.sync_interval or 60.0,
                                on_error=lambda m: print(f"qrgate-scanner: sync: {m}", file=sys.stderr),
                                max_clock_jump=args.max_clock_jump)
        syncer.start()
    try:
        with EntryLog(state.log_path) as log:
            pipeline = Pipeline(Gate(device, log, current.get, direction=args.direction), output, decoder, debounce=args.debounce,
                                temperature=args.temperature)
            if source is None:
                pipeline.run_lines(StdinLines(sys.stdin).lines(stop))
            else:
                pipeline.run_frames(source, stop)
    finally:
        stop.set()
        if syncer is not None:
            syncer.stop()
        output.close()
    return EXIT_OK


def cmd_checkpoint(args: argparse.Namespace) -> int:
    """Headless: each stdin line is one person as JSON: {"pass": QR text} or {"document_type",
    "document_number"} or {"resident": true}, with "temperature" (required), "role", "name". One JSON
    line per person decided; the record is queued and, unless --no-sync or offline, uploaded. With a
    camera, video or images: the window mode (`_checkpoint_window`), through the same `Checkpoint`."""
    from .checkpoint import Checkpoint, CheckpointInputError, RecordQueue, shown, vehicle
    from .gate import Gate
    from .log import EntryLog

    state = DeviceState(args.data)
    device = state.device()
    current = Current(state.load())
    source = _source(args)
    if source is not None:
        return _checkpoint_window(args, state, device, current, source)
    try:
        car = vehicle(args.plate, args.kind, args.direction, args.origin, args.township, args.community)
    except CheckpointInputError as exc:
        return _fail(str(exc), EXIT_USAGE)
    people = []
    with EntryLog(state.log_path) as log:
        checkpoint = Checkpoint(Gate(device, log, current.get, direction=car.direction), state.dir)
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict):
                    raise CheckpointInputError("each line is one person as a JSON object")
                person = checkpoint.person(car, raw)
            except (ValueError, CheckpointInputError) as exc:  # json's errors are ValueErrors
                print(f"qrgate-scanner: person {number}: {str(exc)[:200]}", file=sys.stderr)
                print(json.dumps({"person": number, "refused": str(exc)[:200]}, ensure_ascii=False))
                continue
            people.append(person)
            print(json.dumps({"person": number, **shown(person)}, ensure_ascii=False), flush=True)
        if not people:
            return _fail("no person recorded: nothing queued", EXIT_USAGE)
        record = checkpoint.record(car, people)
    sent = False
    if not args.no_sync:
        try:
            sync_once(args.data)
            sent = True
        except SyncError as exc:
            print(f"qrgate-scanner: offline, the record stays queued: {exc}", file=sys.stderr)
    with RecordQueue(state.dir) as queue:
        waiting = queue.count(unsent_only=True)
    print(json.dumps({"record": record["id"], "people": len(people), "uploaded": sent and waiting == 0,
                      "queued": waiting}))
    return EXIT_OK


def _checkpoint_window(args: argparse.Namespace, state: DeviceState, device: Device, current: Current,
                       source: FrameSource) -> int:
    """The camera window (the gate's, with its paint check) and a form in this terminal, vehicle after
    vehicle until the guard types q, closes the terminal's input, or presses Esc/q in the window.

    Qt wants the window driven from the main thread, so this loop does it: each frame is previewed,
    decoded only while the form asks for a pass, and the lines a reader thread took from stdin are fed
    to the form. The form decides and records through `Checkpoint`, the headless mode's code."""
    import queue

    from .checkpoint import Checkpoint
    from .checkpoint_form import CheckpointForm, Step
    from .display import Window, render_person_panel
    from .gate import Gate
    from .log import EntryLog
    from .pipeline import Debouncer

    stop = threading.Event()
    lines: queue.Queue[str | None] = queue.Queue()

    def read_terminal() -> None:
        for line in sys.stdin:
            lines.put(line)
        lines.put(None)

    def say(text: str) -> None:
        print(text, flush=True)

    window = Window(stop, sound=not args.no_sound, snapshot=current.get)
    syncer = None
    if not args.no_sync:
        syncer = BackgroundSync(args.data, current.set, interval=args.sync_interval or 60.0,
                                on_error=lambda m: print(f"qrgate-scanner: sync: {m}", file=sys.stderr),
                                max_clock_jump=DEFAULT_MAX_JUMP)
        syncer.start()
    decoder = make_decoder(args.decoder)
    threading.Thread(target=read_terminal, name="terminal", daemon=True).start()
    try:
        with EntryLog(state.log_path) as log:
            checkpoint = Checkpoint(Gate(device, log, current.get), state.dir)
            form = CheckpointForm(
                checkpoint, say, township=args.township, community=args.community,
                on_person=lambda p: window.show_panel(render_person_panel(p, window.size), p["decision"] == "allow"),
                on_record=lambda r: syncer.kick() if syncer is not None else None)
            debouncer, scan_round = Debouncer(), form.scan_round
            for frame in source.frames(stop):
                window.caption = form.caption()
                typed = window.preview(frame.image)  # a temperature typed in the window counts as typed here
                if typed is not None and form.step is Step.TEMPERATURE:
                    form.line(str(typed))
                while not lines.empty():
                    line = lines.get_nowait()
                    if line is None:
                        form.end()
                    else:
                        form.line(line)
                if form.wants_scan:
                    if form.scan_round != scan_round:  # a new person: a code still in view is read again
                        debouncer, scan_round = Debouncer(), form.scan_round
                    for text in decoder.decode(frame.image):
                        if debouncer.fresh(text, frame.captured):
                            form.scan(text)
                if form.done:
                    break
            form.end()  # the window closed or the video ended: what was decided is recorded
    finally:
        stop.set()
        if syncer is not None:
            syncer.stop()
        window.close()
    say(f"qrgate-scanner: {form.records} record(s) queued in {state.dir / 'checkpoint.db'}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from .log import EntryLog
    from .stats import day_latency

    state = DeviceState(args.data)
    state.device()  # not enrolled or unreadable: exit 78 like every other command
    with EntryLog(state.log_path) as log:
        stats = day_latency(log, args.day or date.today())
    print(json.dumps(stats.to_json()) if args.json else stats.line())
    return EXIT_OK


def _exit_for(exc: SyncError) -> int:
    return EXIT_REFUSED if isinstance(exc, GatewayRefused) else EXIT_UNREACHABLE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SyncError as exc:  # GatewayUnreachable, GatewayRefused: the words depend on the device's state
        return _fail(explain(exc, args.data), _exit_for(exc))
    except StateError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except SourceError as exc:
        return _fail(str(exc), EXIT_NOINPUT)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

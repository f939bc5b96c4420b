"""Pass rendering before (`qrcode`, pure Python) and after (zxing-cpp's writer), side by side on one core.

Run: .venv/bin/python bench/bench_render.py   (about a minute; writes its section of docs/benchmarks.md)
"""

from __future__ import annotations

import hashlib
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import qrcode  # noqa: E402
import qrcode.constants  # noqa: E402
import qrcode.image.svg  # noqa: E402
from _report import write_section  # noqa: E402
from qrcode.util import MODE_ALPHA_NUM, QRData  # noqa: E402

from keys import IssuerKey, PassClaims, issue_pass  # noqa: E402
from keys.render import render_image, render_png, render_svg  # noqa: E402

REPEATS = 7
KEY = IssuerKey.from_private_bytes(hashlib.sha256(b"qrgate bench key").digest())
NOW = datetime(2020, 2, 20, 1, 0, tzinfo=UTC)
HOLDER = PassClaims(name="张伟明华", document="123X", quarantine_end=date(2020, 2, 15),
                    community="KS-C0012", employer="KS-F0042")


def _old(text: str, box_size: int = 10, border: int = 4) -> qrcode.QRCode:
    """keys/render.py as it was before zxing-cpp (commit 87f1cf4)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(QRData(text, mode=MODE_ALPHA_NUM))
    qr.make(fit=True)
    return qr


def old_svg(text: str) -> str:
    return _old(text).make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")


def old_png(text: str) -> bytes:
    buf = io.BytesIO()
    _old(text).make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


def _loop(fn: Callable[[], object], n: int) -> float:
    t0 = time.process_time()  # CPU time: a neighbour's process on the shared core does not count
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n


def pairs(fns: dict[str, Callable[[], object]], n: int) -> dict[str, float]:
    """Median seconds per call; the loops interleaved REPEATS times so that old and new share the noise."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(REPEATS):
        for name, fn in fns.items():
            samples[name].append(_loop(fn, n))
    return {name: statistics.median(s) for name, s in samples.items()}


def main() -> None:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        pinned = f"pinned to CPU {min(os.sched_getaffinity(0))}"
    except (AttributeError, OSError):
        pinned = "not pinned"
    issued = issue_pass(KEY, HOLDER, now=NOW, valid_for=timedelta(days=30))
    text = issued.qr_text
    rows = []
    for label, old, new, n in (
            ("SVG (resident page, print page)", lambda: old_svg(text), lambda: render_svg(text), 20),
            ("PNG, 10 px modules", lambda: old_png(text), lambda: render_png(text), 20)):
        t = pairs({"old": old, "new": new}, n)
        rows.append(f"| {label} | {t['old'] * 1e3:.2f} | {t['new'] * 1e3:.2f} | **{t['old'] / t['new']:.1f}×** "
                    f"| {1 / t['old']:,.0f} → {1 / t['new']:,.0f} |")
        print(rows[-1], flush=True)
    body = f"""One core ({pinned}); CPU time of the process (`time.process_time`), median of {REPEATS}
interleaved loops of old and new. The pass is the typical one ({len(text)} characters, QR version
{(render_image(text, 1, 0).size[0] - 17) // 4} at ECC M). Old: `qrcode` {qrcode.__version__ if hasattr(qrcode, "__version__") else ""}
as keys/render.py used it until this change; new: zxing-cpp's writer (Zint) in keys/render.py. Both give the same
text at ECC M (tests/keys/test_render.py decodes every output with zxing-cpp and pyzbar). Card PDFs no
longer picture the QR (they draw its modules as vectors): their figures are in "Cards in bulk" (bench/bench_cards.py).

| output | old ms | new ms | speed-up | per second (old → new) |
|---|---:|---:|---:|---:|
""" + "\n".join(rows) + """

Target: rendering a pass ≥ 10× faster."""
    write_section("render", "Rendering a pass QR: qrcode before, zxing-cpp after", body)


if __name__ == "__main__":
    main()

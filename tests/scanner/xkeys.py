"""Real key presses on an X display through the XTEST extension (libXtst via ctypes, no extra package)."""

from __future__ import annotations

import ctypes
import ctypes.util
import time


class XKeys:
    """Types keys into whatever window has the focus on `display`, as a keyboard would."""

    def __init__(self, display: str) -> None:
        x11_name, xtst_name = ctypes.util.find_library("X11"), ctypes.util.find_library("Xtst")
        if not x11_name or not xtst_name:
            raise OSError("libX11 or libXtst is missing")
        self.x11, self.xtst = ctypes.CDLL(x11_name), ctypes.CDLL(xtst_name)
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.display = self.x11.XOpenDisplay(display.encode())
        if not self.display:
            raise OSError(f"cannot open X display {display}")

    def press(self, *keysyms: str, gap: float = 0.03) -> None:
        """Press and release each key, by X keysym name ("3", "period", "Return")."""
        for name in keysyms:
            code = self.x11.XKeysymToKeycode(self.display, self.x11.XStringToKeysym(name.encode()))
            if not code:
                raise ValueError(f"no key for {name!r} on this display")
            self.xtst.XTestFakeKeyEvent(self.display, code, 1, 0)
            self.xtst.XTestFakeKeyEvent(self.display, code, 0, 0)
            self.x11.XFlush(self.display)
            time.sleep(gap)  # one key per event-loop turn, like a person typing

    def close(self) -> None:
        self.x11.XCloseDisplay(self.display)

"""The checkpoint guard's form, for the window mode: prompts in the terminal, the pass from the camera.

A small state machine fed with what the guard types (one line at a time) and what the camera reads
(one QR text at a time). It asks for the vehicle, then for each person: the pass (shown to the
camera, or typed by a keyboard-wedge scanner) or a document, then the temperature. Each person is
decided and each vehicle recorded by `checkpoint.Checkpoint`, the same code as the headless mode:
the form only builds the JSON objects the headless mode reads from stdin. No OpenCV here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import Enum
from typing import Any

from keys.checkpoint import DIRECTIONS, DOCUMENT_TYPES, ROLES, TEMPERATURE_RANGE, VEHICLE_KINDS, normalise_plate

from .checkpoint import Checkpoint, CheckpointInputError, Vehicle, shown, vehicle

DOCUMENT_ALIASES = {"id": "resident_id", "身份证": "resident_id", "rp": "residence_permit", "居住证": "residence_permit",
                    "wp": "work_permit", "工作证": "work_permit", "护照": "passport", **{t: t for t in DOCUMENT_TYPES}}
RESIDENT_WORDS = {"resident": True, "本市": True, "none": False, "无": False}
DONE_WORDS = ("done", "完成", "d")
QUIT_WORDS = ("q", "quit", "退出")
MAX_LINE = 200


class Step(Enum):
    PLATE = "plate"
    KIND = "kind"
    DIRECTION = "direction"
    ORIGIN = "origin"
    TOWNSHIP = "township"
    COMMUNITY = "community"
    ROLE = "role"
    IDENTITY = "identity"
    NAME = "name"
    TEMPERATURE = "temperature"
    DONE = "done"


def parse_identity(text: str) -> dict[str, Any]:
    """What the guard typed for a person without a pass in view: a pass text, a document or a word.

    `QG1:…`/`QG2:…` a pass (a keyboard-wedge scanner types it); `TYPE NUMBER` a document (type or
    its short name: id, rp, wp, passport); a bare number an ID card; `resident` (本市) or `none` (无)
    the guard's word. CheckpointInputError for anything else; the number is checked when decided.
    """
    text = text.strip()[:MAX_LINE]
    if not text:
        raise CheckpointInputError("show the pass to the camera, or type a document (id NUMBER), resident or none")
    if text.upper().startswith(("QG1:", "QG2:")):
        return {"pass": text}
    word = text.lower()
    if word in RESIDENT_WORDS:
        return {"resident": RESIDENT_WORDS[word]}
    kind, _, number = text.partition(" ")
    if number.strip():
        document_type = DOCUMENT_ALIASES.get(kind.lower())
        if document_type is None:
            raise CheckpointInputError(f"document type must be one of {', '.join(DOCUMENT_TYPES)} (or id, rp, wp)")
        return {"document_type": document_type, "document_number": number.strip()}
    return {"document_type": "resident_id", "document_number": text}


def parse_temperature(text: str) -> float:
    try:
        value = float(text.strip().removesuffix("°C").removesuffix("C").strip())
    except ValueError:
        raise CheckpointInputError("temperature required: type the reading in °C, e.g. 36.5 (每人必测)") from None
    if not math.isfinite(value) or not TEMPERATURE_RANGE[0] <= value <= TEMPERATURE_RANGE[1]:
        raise CheckpointInputError(f"temperature must be {TEMPERATURE_RANGE[0]}..{TEMPERATURE_RANGE[1]} °C: "
                                   "measure again")
    return value


class CheckpointForm:
    """One vehicle after another until the guard quits; `say` prints a line to the guard's terminal."""

    def __init__(self, checkpoint: Checkpoint, say: Callable[[str], None], *, township: str, community: str,
                 on_person: Callable[[dict[str, Any]], None] = lambda p: None,
                 on_record: Callable[[dict[str, Any]], None] = lambda r: None) -> None:
        self.checkpoint, self.say = checkpoint, say
        self.defaults = {"township": township, "community": community}
        self.on_person, self.on_record = on_person, on_record
        self.records = 0
        self.step = Step.PLATE
        self.car: Vehicle | None = None
        self.people: list[dict[str, Any]] = []
        self._passes: dict[str, int] = {}  # pass text -> the person it was recorded for
        self._person_raw: dict[str, Any] = {}
        self.scan_round = 0  # a new one each time the form asks for a pass: the caller forgets what it read
        self._vehicle_fields: dict[str, Any] = {}
        self._start_vehicle()

    # what the caller asks

    @property
    def done(self) -> bool:
        return self.step is Step.DONE

    @property
    def wants_scan(self) -> bool:
        return self.step is Step.IDENTITY

    def caption(self) -> str:
        """One ASCII line for the camera window (OpenCV draws no CJK): what the form waits for."""
        if self.step is Step.IDENTITY:
            return f"Person {len(self.people) + 1}: show the pass to the camera (or type a document)"
        if self.step is Step.TEMPERATURE:
            return f"Person {len(self.people) + 1}: temperature?"
        if self.step is Step.ROLE:
            return f"Vehicle {self._plate_shown()}: {len(self.people)} recorded - next person or done"
        return "New vehicle: type it in the terminal"

    # what the caller feeds

    def line(self, text: str) -> None:
        """One line the guard typed."""
        text = text.strip()[:MAX_LINE]
        handler = {Step.PLATE: self._plate, Step.KIND: self._kind, Step.DIRECTION: self._direction,
                   Step.ORIGIN: self._origin, Step.TOWNSHIP: self._township, Step.COMMUNITY: self._community,
                   Step.ROLE: self._role, Step.IDENTITY: self._identity, Step.NAME: self._name,
                   Step.TEMPERATURE: self._temperature}.get(self.step)
        if handler is None:
            return
        try:
            handler(text)
        except CheckpointInputError as exc:
            self.say(f"  ! {exc}")
            self._ask()

    def scan(self, qr_text: str) -> None:
        """A QR text the camera read (only taken while the form asks for a pass)."""
        if self.step is not Step.IDENTITY:
            return
        if qr_text in self._passes:
            self.say(f"  ! this pass is already recorded for person {self._passes[qr_text]} of this vehicle: "
                     "show the next person's")
            return
        self.say("  pass read by the camera / 已读取通行证")
        self._person_raw.update({"pass": qr_text})
        self._go(Step.TEMPERATURE)

    def end(self) -> None:
        """No more input (end of the terminal, the window closed): record what was decided, then stop."""
        if self.step is not Step.DONE and self.people:
            self._record()
        self.step = Step.DONE

    # the steps

    def _start_vehicle(self) -> None:
        self._vehicle_fields = {}
        self.car = None
        self.people = []
        self._passes = {}
        self._go(Step.PLATE)

    def _go(self, step: Step) -> None:
        self.step = step
        if step is Step.IDENTITY:
            self.scan_round += 1
        self._ask()

    def _ask(self) -> None:
        n = len(self.people) + 1
        role_default = self._role_default()
        prompts = {
            Step.PLATE: "» 车辆 Vehicle: 号牌 plate (on foot: -; quit: q)",
            Step.KIND: f"» 车型 kind ({' '.join(k for k in VEHICLE_KINDS if k != 'none')}) [car]",
            Step.DIRECTION: "» 方向 direction (in out) [in]",
            Step.ORIGIN: "» 来自 origin: 6-digit region code (empty: unknown)",
            Step.TOWNSHIP: f"» 目的地区镇 destination township [{self.defaults['township']}]",
            Step.COMMUNITY: f"» 目的地社区 destination community [{self.defaults['community']}]",
            Step.ROLE: f"» 第{n}人 person {n}: role ({' '.join(ROLES)}) [{role_default}]"
                       + ("; done: end of this vehicle" if self.people else ""),
            Step.IDENTITY: f"» 第{n}人 person {n}: 出示通行证 show the pass to the camera, or type: "
                           "id NUMBER | passport/rp/wp NUMBER | resident | none",
            Step.NAME: f"» 第{n}人 person {n}: 姓名 name (empty: none)",
            Step.TEMPERATURE: f"» 第{n}人 person {n}: 体温 temperature °C (required)",
        }
        if step_prompt := prompts.get(self.step):
            self.say(step_prompt)

    def _plate(self, text: str) -> None:
        if text.lower() in QUIT_WORDS:
            self.step = Step.DONE
            return
        if not text:
            raise CheckpointInputError("every vehicle is registered: type its plate, or - for a person on foot")
        if text == "-":
            self._vehicle_fields.update(plate=None, kind="none")
            self._go(Step.DIRECTION)
            return
        try:
            normalise_plate(text)
        except ValueError as exc:
            raise CheckpointInputError(f"plate: {exc}") from None
        self._vehicle_fields["plate"] = text
        self._go(Step.KIND)

    def _kind(self, text: str) -> None:
        kind = text.lower() or "car"
        if kind not in VEHICLE_KINDS or kind == "none":
            raise CheckpointInputError(f"kind must be one of {', '.join(k for k in VEHICLE_KINDS if k != 'none')}")
        self._vehicle_fields["kind"] = kind
        self._go(Step.DIRECTION)

    def _direction(self, text: str) -> None:
        direction = text.lower() or "in"
        if direction not in DIRECTIONS:
            raise CheckpointInputError("direction must be in or out")
        self._vehicle_fields["direction"] = direction
        self._go(Step.ORIGIN)

    def _origin(self, text: str) -> None:
        if text and not (len(text) == 6 and text.isascii() and text.isdigit()):
            raise CheckpointInputError("origin must be a 6-digit region code")
        self._vehicle_fields["origin"] = text or None
        self._go(Step.TOWNSHIP)

    def _township(self, text: str) -> None:
        self._vehicle_fields["township"] = text or self.defaults["township"]
        self._go(Step.COMMUNITY)

    def _community(self, text: str) -> None:
        fields = {**self._vehicle_fields, "community": text or self.defaults["community"]}
        try:
            self.car = vehicle(fields["plate"], fields["kind"], fields["direction"], fields["origin"],
                               fields["township"], fields["community"])
        except CheckpointInputError as exc:
            self.say(f"  ! {exc}: the vehicle again")
            self._start_vehicle()
            return
        self.defaults.update(township=fields["township"], community=fields["community"])  # the next car's too
        self.say(f"  车辆 vehicle {self._plate_shown()} {self.car.kind} {self.car.direction} "
                 f"→ {self.car.township}/{self.car.community}")
        self._go(Step.ROLE)

    def _role_default(self) -> str:
        if self._vehicle_fields.get("kind") == "none":
            return "pedestrian"
        return "passenger" if self.people else "driver"

    def _role(self, text: str) -> None:
        if text.lower() in DONE_WORDS and self.people:
            self._record()
            self._start_vehicle()
            return
        role = text.lower() or self._role_default()
        if role not in ROLES:
            raise CheckpointInputError(f"role must be one of {', '.join(ROLES)}"
                                       + (", or done" if self.people else ""))
        self._person_raw = {"role": role}
        self._go(Step.IDENTITY)

    def _identity(self, text: str) -> None:
        raw = parse_identity(text)
        self._person_raw.update(raw)
        self._go(Step.TEMPERATURE if "pass" in raw else Step.NAME)

    def _name(self, text: str) -> None:
        if text:
            self._person_raw["name"] = text
        self._go(Step.TEMPERATURE)

    def _temperature(self, text: str) -> None:
        self._person_raw["temperature"] = parse_temperature(text)
        assert self.car is not None
        try:
            person = self.checkpoint.person(self.car, self._person_raw)
        except CheckpointInputError as exc:  # a document the check refuses: this person's identity again
            self.say(f"  ! {exc}")
            self._person_raw = {"role": self._person_raw["role"]}
            self._go(Step.IDENTITY)
            return
        self.people.append(person)
        if "pass" in self._person_raw:
            self._passes[self._person_raw["pass"]] = len(self.people)
        verdict = "允许 ALLOW" if person["decision"] == "allow" else "禁止 DENY"
        self.say(f"  第{len(self.people)}人 person {len(self.people)}: {verdict} {person['reason']} "
                 f"{person['temperature']:.1f} °C")
        self.on_person(shown(person))
        self._go(Step.ROLE)

    def _record(self) -> None:
        assert self.car is not None
        record = self.checkpoint.record(self.car, self.people)
        self.records += 1
        self.say(f"  记录已保存 record {record['id']}: {len(self.people)} people, queued for the gateway")
        self.on_record(record)

    def _plate_shown(self) -> str:
        return (self.car.plate if self.car is not None else self._vehicle_fields.get("plate")) or "on foot"

"""Road checkpoints (directive §二 9–11): the record's vocabulary and the plate rule, owned once.

The scanner builds checkpoint records and the gateway stores them; both read the words here, so a
plate the scanner accepts is the plate the gateway stores. Plates follow GA 36-2018: a province
character, the issuing office's letter, then five characters (a blue or yellow plate, maybe ending
in 学/警/挂/港/澳/领), or six for a new-energy (green) plate: small `D12345`, large `12345D`
(D or F in 2018; the 2022 amendment added A B C E G H J K). Letters I and O are never used.
"""

from __future__ import annotations

import re
import unicodedata

VEHICLE_KINDS = ("car", "van", "bus", "truck", "motorcycle", "other", "none")  # none: on foot
DIRECTIONS = ("in", "out")
ROLES = ("driver", "passenger", "pedestrian")
TRANSPORTS = ("own_car", "ambulance_120")  # a fever with a car isolates in it; without, 120 to a clinic
DOCUMENT_TYPES = ("resident_id", "passport", "residence_permit", "work_permit")
TEMPERATURE_RANGE = (30.0, 45.0)  # °C: outside this the reading is a mistake, not a person
MAX_PEOPLE = 60  # a coach holds 57 seats and a driver

# the province character on a plate → its GB/T 2260 province code
PLATE_PROVINCES: dict[str, str] = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "蒙": "15", "辽": "21", "吉": "22", "黑": "23",
    "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36", "鲁": "37", "豫": "41",
    "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46", "渝": "50", "川": "51", "贵": "52",
    "云": "53", "藏": "54", "陕": "61", "甘": "62", "青": "63", "宁": "64", "新": "65",
}
_L = "A-HJ-NP-Z"  # letters a plate uses: no I, no O
_NEV = "ABCDEFGHJK"
_TAIL = "学警挂港澳领"
PLATE = re.compile(
    rf"^(?P<province>[{''.join(PLATE_PROVINCES)}])(?P<office>[{_L}])"
    rf"(?P<rest>[{_L}0-9]{{5}}|[{_L}0-9]{{4}}[{_TAIL}]|[{_NEV}][{_L}0-9][0-9]{{4}}|[0-9]{{5}}[{_NEV}])$")
_SEPARATORS = dict.fromkeys(map(ord, " \t·•.-_・"), None)


class PlateError(ValueError):
    """Not a Chinese civil number plate; the message says why."""


def normalise_plate(raw: str) -> tuple[str, str]:
    """(plate as stored, e.g. '鄂A12345', province code '42'); PlateError when it is not a plate.

    Full-width letters and digits fold to ASCII, lower case to upper, separators (space, ·, -) go.
    """
    if not isinstance(raw, str) or len(raw) > 30:
        raise PlateError("a number plate is at most 30 characters of text")
    folded = unicodedata.normalize("NFKC", raw).translate(_SEPARATORS).upper()
    if not folded:
        raise PlateError("the number plate is empty")
    match = PLATE.match(folded)
    if match is None:
        if folded[0] not in PLATE_PROVINCES:
            raise PlateError("a number plate starts with a province character (苏, 鄂, 沪 …)")
        if "I" in folded or "O" in folded:
            raise PlateError("number plates never use the letters I or O (read 1 or 0)")
        raise PlateError("not a number plate: province character, a letter, then 5 characters "
                         "(6 for a new-energy plate)")
    return folded, PLATE_PROVINCES[match.group("province")]


def new_energy(plate: str) -> bool:
    """A green (new-energy) plate: eight characters."""
    return len(plate) == 8


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID = re.compile(r"^[0-9]{17}[0-9X]$")
_OTHER = re.compile(r"^[A-Z0-9]{5,30}$")


def normalise_document(kind: str, raw: str) -> str:
    """A document number as stored (NFKC, upper case, no spaces); ValueError when its shape is wrong.

    The scanner's first look (an ID card's GB 11643 check digit catches a misread digit at the
    roadside); the gateway checks the rest (region, birth date) when the record arrives."""
    if kind not in DOCUMENT_TYPES:
        raise ValueError(f"document type must be one of {', '.join(DOCUMENT_TYPES)}")
    if not isinstance(raw, str) or len(raw) > 100:
        raise ValueError("a document number is at most 100 characters of text")
    value = unicodedata.normalize("NFKC", raw).replace(" ", "").upper()
    if kind == "resident_id":
        if not _ID.match(value):
            raise ValueError("a resident ID number is 17 digits followed by a digit or X")
        if _ID_CHECK[sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True)) % 11] != value[17]:
            raise ValueError("the resident ID number's check digit (GB 11643) is wrong: read it again")
    elif not _OTHER.match(value):
        raise ValueError("a document number is 5..30 letters and digits")
    return value

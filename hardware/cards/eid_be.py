"""The Belgian eID layout, as a `PlainApduProfile` (the model for other countries).

Files under DF01 (ID): 4031 identity, 4033 address, 4035 photo (JPEG). The identity file's
tags are those of the eID middleware's documentation (eid-mw); dates of birth use French,
Dutch or German month abbreviations. The identity and address files are signed by the
national register (files 4032/4034); that signature is not verified here, so the result is
`NOT_CHECKED` unless the photo's hash in the identity file does not match the photo read
(then `FAILED`: the photo is not the one the card was issued with).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date

from hardware.cards.document import DocumentType, IdentityDocument, PassiveAuth, ReadingMethod
from hardware.cards.eid import AtrPattern, PlainApduProfile, parse_simple_tlv
from hardware.cards.errors import MalformedCardData

IDENTITY = bytes.fromhex("3F00DF014031")
ADDRESS = bytes.fromhex("3F00DF014033")
PHOTO = bytes.fromhex("3F00DF014035")

TAG_CARD_NUMBER, TAG_VALID_FROM, TAG_VALID_UNTIL = 0x01, 0x03, 0x04
TAG_MUNICIPALITY, TAG_NATIONAL_NUMBER, TAG_SURNAME, TAG_FIRST_NAMES = 0x05, 0x06, 0x07, 0x08
TAG_THIRD_INITIAL, TAG_NATIONALITY, TAG_BIRTH_PLACE, TAG_BIRTH_DATE = 0x09, 0x0A, 0x0B, 0x0C
TAG_SEX, TAG_PHOTO_HASH = 0x0D, 0x11

_MONTHS = {
    "JAN": 1, "FEV": 2, "FEB": 2, "MARS": 3, "MAAR": 3, "MÄR": 3, "MAR": 3, "AVR": 4,
    "APR": 4, "MAI": 5, "MEI": 5, "JUIN": 6, "JUN": 6, "JUIL": 7, "JUL": 7, "AOUT": 8,
    "AUG": 8, "SEPT": 9, "SEP": 9, "OCT": 10, "OKT": 10, "NOV": 11, "DEC": 12, "DEZ": 12,
}  # fmt: skip
_BELGIAN = {"BELG", "BELGE", "BELGIER", "BELGISCH", "BELGIAN"}
_HASHES = {20: "sha1", 32: "sha256", 48: "sha384"}


def birth_date(text: str) -> date | None:
    """'13 DEC 1983', '13.DEC.1983', '01 MAAR 1970'...; None if only a year is known."""
    m = re.fullmatch(r"\s*(\d{1,2})[ .]+([A-ZÄ]{3,4})[ .]+(\d{4})\s*", text.upper())
    if not m or m.group(2) not in _MONTHS:
        return None
    try:
        return date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    except ValueError:
        return None


def dotted_date(text: str) -> date | None:
    m = re.fullmatch(r"\s*(\d{2})\.(\d{2})\.(\d{4})\s*", text)
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def _text(fields: Mapping[int, bytes], tag: int) -> str:
    try:
        return fields.get(tag, b"").decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise MalformedCardData(f"identity tag {tag:02X} is not UTF-8") from exc


def parse(files: Mapping[str, bytes], card_uid: str | None) -> IdentityDocument:
    fields = parse_simple_tlv(files["identity"])
    national_number = _text(fields, TAG_NATIONAL_NUMBER)
    surname = _text(fields, TAG_SURNAME)
    if not national_number or not surname:
        raise MalformedCardData("Belgian identity file lacks national number or surname")
    given = " ".join(
        p for p in (_text(fields, TAG_FIRST_NAMES), _text(fields, TAG_THIRD_INITIAL)) if p
    )
    photo = files.get("photo")
    status = PassiveAuth.NOT_CHECKED
    photo_hash = "absent"
    expected = fields.get(TAG_PHOTO_HASH)
    if photo is not None and expected:
        algorithm = _HASHES.get(len(expected))
        if algorithm is None or hashlib.new(algorithm, photo).digest() != expected:
            status, photo_hash = PassiveAuth.FAILED, "mismatch"
        else:
            photo_hash = "ok"
    extra = {
        "card_number": _text(fields, TAG_CARD_NUMBER),
        "surname": surname,
        "given_names": given,
        "birth_place": _text(fields, TAG_BIRTH_PLACE),
        "issuing_municipality": _text(fields, TAG_MUNICIPALITY),
        "photo_hash": photo_hash,
        "passive_auth_detail": "national register signature not verified; photo hash " + photo_hash,
    }
    if "address" in files:
        addr = parse_simple_tlv(files["address"])
        extra["address"] = " ".join(
            p for p in (_text(addr, 1), _text(addr, 2), _text(addr, 3)) if p
        )
    nationality = _text(fields, TAG_NATIONALITY)
    sex = _text(fields, TAG_SEX).upper()
    return IdentityDocument(
        doc_type=DocumentType.NATIONAL_EID,
        number=national_number,
        name=f"{surname} {given}".strip(),
        reading_method=ReadingMethod.PCSC_APDU,
        sex="M" if sex == "M" else "F" if sex in ("F", "V", "W") else "",
        birth_date=birth_date(_text(fields, TAG_BIRTH_DATE)),
        nationality="BEL" if nationality.upper() in _BELGIAN else nationality,
        valid_from=dotted_date(_text(fields, TAG_VALID_FROM)),
        valid_until=dotted_date(_text(fields, TAG_VALID_UNTIL)),
        photo=photo,
        card_uid=card_uid,
        passive_auth=status,
        extra=extra,
        raw={name: content.hex() for name, content in files.items() if name != "photo"},
    )


BELGIUM = PlainApduProfile(
    name="Belgian eID",
    atr_patterns=(
        # Applet 1.1 and 1.7 cards. Cards with other ATRs are still found by probing the
        # identity file's path (see hardware.cards.profiles).
        AtrPattern(bytes.fromhex("3B9813400AA503010101AD1311")),
        AtrPattern(
            bytes.fromhex("3B9894400AA503010101AD1310"),
            bytes.fromhex("FFFF00FFFFFFFFFFFFFFFFFF00"),
        ),
    ),
    files={"identity": IDENTITY},
    optional_files={"address": ADDRESS, "photo": PHOTO},
    parse=parse,
)

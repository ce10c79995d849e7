"""Manual entry of a Chinese ID number (GB 11643-1999, ISO 7064 MOD 11-2 check digit).

Used when a card is missing, temporary or unreadable: the invigilator types the 18-character
number (checked as it is typed, see `check_partial`) or its last digits and picks the
candidate on the roster (`match_last_digits`). The result is always recorded as a manual
check-in with the invigilator's reason (`manual_document`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from hardware.cards.document import DocumentType, IdentityDocument, PassiveAuth, ReadingMethod
from hardware.cards.errors import InvalidIdNumber

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# first digit of the region code (GB/T 2260): 1-6 mainland provinces, 7 Taiwan, 8 HK/Macao
# (81/82) and Taiwan residence permits (83)
_REGION_FIRST = set("1234568") | {"7"}


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits (ValueError if they are not 17 digits)."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize(number: str) -> str:
    """Strip spaces and separators; a lower-case x becomes X."""
    return re.sub(r"[\s\-]", "", number).upper()


def _birth(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate_cn_id(number: str) -> str:
    """The normalized 18-character ID number, or InvalidIdNumber saying what is wrong."""
    n = normalize(number)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", n):
        raise InvalidIdNumber(
            f"身份证号码应为 18 位（前 17 位为数字，最后一位为数字或 X），当前输入 {len(n)} 位。请核对后重新输入。",
            f"An ID number has 18 characters (17 digits, then a digit or X); {len(n)} were "
            "typed. Check the number and type it again.",
        )
    if n[0] not in _REGION_FIRST:
        raise InvalidIdNumber(
            "身份证号码的地区码不正确（第 1 位）。请核对证件后重新输入。",
            "The region code at the start of the ID number is not valid. Check the document "
            "and type it again.",
        )
    born = _birth(n)
    if born is None or born.year < 1900 or born > date.today():
        raise InvalidIdNumber(
            "身份证号码中的出生日期（第 7–14 位）不是有效日期。请核对后重新输入。",
            "The birth date inside the ID number (characters 7-14) is not a valid date. "
            "Check the number and type it again.",
        )
    if check_digit(n[:17]) != n[17]:
        raise InvalidIdNumber(
            "身份证号码校验位不符，可能有一位输错。请逐位核对后重新输入。",
            "The ID number's check digit does not match: a digit is probably mistyped. "
            "Compare it digit by digit and type it again.",
        )
    return n


@dataclass(frozen=True)
class PartialCheck:
    """The state of a number being typed, for live feedback in the entry field."""

    ok_so_far: bool  # nothing typed is already impossible
    complete: bool  # 18 characters, fully valid
    message_zh: str = ""
    message_en: str = ""


def check_partial(typed: str) -> PartialCheck:
    """Check a prefix of an ID number as the invigilator types it."""
    n = normalize(typed)
    if not n:
        return PartialCheck(True, False)
    if len(n) > 18 or not re.fullmatch(r"[0-9]{0,17}[0-9X]?", n) or ("X" in n and len(n) < 18):
        return PartialCheck(
            False,
            False,
            "只能输入数字，X 只能出现在最后一位。",
            "Digits only; X only as the last character.",
        )
    if n[0] not in _REGION_FIRST:
        return PartialCheck(False, False, "地区码不正确。", "The region code is not valid.")
    if len(n) >= 14 and (_birth(n) is None or not 1900 <= int(n[6:10]) <= date.today().year):
        return PartialCheck(False, False, "出生日期不正确。", "The birth date is not valid.")
    if len(n) == 18:
        try:
            validate_cn_id(n)
        except InvalidIdNumber as exc:
            return PartialCheck(False, False, exc.zh, exc.en)
        return PartialCheck(True, True)
    return PartialCheck(True, False)


def match_last_digits(last: str, numbers: Iterable[str], *, minimum: int = 4) -> list[str]:
    """Roster ID numbers ending in `last` (at least `minimum` characters), for a roster pick."""
    tail = normalize(last)
    if len(tail) < minimum or not re.fullmatch(r"[0-9]*[0-9X]", tail):
        raise InvalidIdNumber(
            f"请至少输入身份证号码的后 {minimum} 位。",
            f"Type at least the last {minimum} characters of the ID number.",
        )
    return [n for n in numbers if normalize(n).endswith(tail)]


def manual_document(
    number: str, name: str, reason: str, *, validate: bool = True
) -> IdentityDocument:
    """The document for a manual check-in; `reason` (the invigilator's) is required."""
    if not reason.strip():
        raise InvalidIdNumber(
            "手工录入必须填写原因（如：未带证件、临时身份证、证件无法读取）。",
            "Manual entry needs a reason (e.g. no card, temporary card, card unreadable).",
        )
    value = validate_cn_id(number) if validate else normalize(number)
    return IdentityDocument(
        doc_type=DocumentType.MANUAL,
        number=value,
        name=name,
        reading_method=ReadingMethod.MANUAL,
        birth_date=_birth(value) if validate else None,
        passive_auth=PassiveAuth.NOT_APPLICABLE,
        extra={"manual_reason": reason.strip()},
    )

"""ICAO 9303 machine-readable zone: check digits, TD1/TD3 parsing, and the BAC key data.

`BacKey` is what opens an eMRTD chip: document number, birth date and expiry, from the
roster entry the candidate registered with, typed by the invigilator, or from a scanned MRZ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from hardware.cards.errors import MalformedCardData

_WEIGHTS = (7, 3, 1)


def check_digit(field: str) -> str:
    """ICAO 9303 part 3 check digit (weights 7-3-1, '<' = 0, A = 10 ... Z = 35)."""
    total = 0
    for i, ch in enumerate(field):
        if ch.isdigit():
            v = int(ch)
        elif "A" <= ch <= "Z":
            v = ord(ch) - 55
        elif ch == "<":
            v = 0
        else:
            raise ValueError(f"character {ch!r} cannot appear in an MRZ")
        total += v * _WEIGHTS[i % 3]
    return str(total % 10)


_YYMMDD = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class BacKey:
    """MRZ data for Basic Access Control. Dates as YYMMDD (the MRZ's own form)."""

    document_number: str
    birth_yymmdd: str
    expiry_yymmdd: str

    def __post_init__(self) -> None:
        # TD1 cards may carry numbers over 9 characters (the rest in the optional field)
        if not re.fullmatch(r"[0-9A-Z<]{1,22}", self.document_number):
            raise ValueError("document number: 1-22 letters or digits")
        for name in ("birth_yymmdd", "expiry_yymmdd"):
            if not _YYMMDD.match(getattr(self, name)):
                raise ValueError(f"{name}: six digits YYMMDD")

    @classmethod
    def parse(cls, text: str) -> BacKey:
        """From "DOCNO,BIRTH,EXPIRY" with dates as YYMMDD or YYYY-MM-DD (CLI and roster)."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 3:
            raise ValueError("expected DOCNO,BIRTH,EXPIRY")
        return cls(parts[0].upper().replace(" ", ""), _yymmdd(parts[1]), _yymmdd(parts[2]))

    @classmethod
    def from_dates(cls, document_number: str, birth: date, expiry: date) -> BacKey:
        return cls(document_number.upper(), birth.strftime("%y%m%d"), expiry.strftime("%y%m%d"))

    def mrz_information(self) -> bytes:
        doc = self.document_number.ljust(9, "<")
        return (
            doc
            + check_digit(doc)
            + self.birth_yymmdd
            + check_digit(self.birth_yymmdd)
            + self.expiry_yymmdd
            + check_digit(self.expiry_yymmdd)
        ).encode("ascii")

    def __repr__(self) -> str:  # keep personal data out of logs and tracebacks
        return f"BacKey(document_number='{self.document_number[:2]}…')"


@dataclass(frozen=True)
class CanKey:
    """The card access number printed on an ID card's front: PACE's other password."""

    can: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{6}", self.can):
            raise ValueError("CAN: six digits")

    def __repr__(self) -> str:  # keep personal data out of logs and tracebacks
        return "CanKey(…)"


AccessKey = BacKey | CanKey


def _yymmdd(text: str) -> str:
    digits = text.replace("-", "")
    if len(digits) == 8 and digits.isdigit():
        return digits[2:]
    return digits


@dataclass(frozen=True)
class MrzData:
    document_code: str  # "P", "I", "ID", "AC"...
    issuer: str
    document_number: str
    surname: str
    given_names: str
    nationality: str
    birth_yymmdd: str
    sex: str  # "M", "F" or ""
    expiry_yymmdd: str
    optional: str
    raw: str
    check_digits_ok: bool

    @property
    def is_td1(self) -> bool:
        return len(self.raw) == 90


def _ok(field: str, digit: str) -> bool:
    return check_digit(field) == digit


def parse_mrz(raw: str) -> MrzData:
    """Parse a TD3 (88 chars, passports) or TD1 (90 chars, ID cards) MRZ as read from DG1.

    `check_digits_ok` covers the document number, birth date, expiry and composite check
    digits (ICAO 9303 parts 4 and 5), including TD1's long document numbers whose tail and
    check digit continue in the optional field.
    """
    text = raw.replace("\n", "").replace("\r", "")
    if not re.fullmatch(r"[0-9A-Z<]*", text):
        raise MalformedCardData("MRZ contains characters outside 0-9 A-Z <")
    if len(text) == 88:
        l1, l2 = text[:44], text[44:]
        doc_no, doc_cd = l2[0:9], l2[9]
        birth, birth_cd = l2[13:19], l2[19]
        expiry, expiry_cd = l2[21:27], l2[27]
        composite = l2[0:10] + l2[13:20] + l2[21:43]
        ok = _ok(l2[0:9], doc_cd) and _ok(l2[28:42], l2[42]) and _ok(composite, l2[43])
        names = l1[5:]
        sex, nationality, optional, code, issuer = l2[20], l2[10:13], l2[28:42], l1[0:2], l1[2:5]
    elif len(text) == 90:
        l1, l2, l3 = text[:30], text[30:60], text[60:]
        doc_no, doc_cd, optional = l1[5:14], l1[14], l1[15:30]
        if doc_cd == "<" and optional[:1] not in ("", "<"):  # long number: tail + digit here
            tail = optional.split("<", 1)[0]
            doc_no, doc_cd, optional = doc_no + tail[:-1], tail[-1], optional[len(tail) :]
        birth, birth_cd = l2[0:6], l2[6]
        expiry, expiry_cd = l2[8:14], l2[14]
        composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
        ok = _ok(doc_no, doc_cd) and _ok(composite, l2[29])
        names = l3
        sex, nationality, code, issuer = l2[7], l2[15:18], l1[0:2], l1[2:5]
    else:
        raise MalformedCardData(f"MRZ of {len(text)} characters is neither TD1 nor TD3")
    ok = ok and _ok(birth, birth_cd) and _ok(expiry, expiry_cd)
    surname, _, given = names.partition("<<")
    return MrzData(
        document_code=code.rstrip("<"),
        issuer=issuer.rstrip("<"),
        document_number=doc_no.rstrip("<"),
        surname=surname.replace("<", " ").strip(),
        given_names=given.replace("<", " ").strip(),
        nationality=nationality.rstrip("<"),
        birth_yymmdd=birth,
        sex=sex if sex in ("M", "F") else "",
        expiry_yymmdd=expiry,
        optional=optional.strip("<"),
        raw=text,
        check_digits_ok=ok,
    )


class MrzTextError(ValueError):
    """Typed or scanned access data that cannot be used; args are (zh, en) for the screen."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en)
        self.zh, self.en = zh, en


_TD3_LINE1 = "P<" + "<" * 42  # stands in for the name line a scanner may not send
_TD1_LINE3 = "<" * 30


def key_from_text(text: str) -> BacKey:
    """The BAC/PACE key in typed or scanned text, check digits verified before any chip is
    touched: "DOCNO,BIRTH,EXPIRY" (dates YYMMDD or YYYY-MM-DD), a passport's (TD3) lower
    line or whole zone, or an ID card's (TD1) first two lines or whole zone."""
    raw = text.strip().upper()
    if "," in raw:
        try:
            return BacKey.parse(raw)
        except ValueError:
            raise MrzTextError(
                "格式应为：证件号码,出生日期,有效期（如 E12345678,1990-01-15,2034-01-01）",
                "Use DOCNO,BIRTH,EXPIRY (e.g. E12345678,1990-01-15,2034-01-01)",
            ) from None
    zone = "".join(raw.split())
    padded = {44: _TD3_LINE1 + zone, 88: zone, 60: zone + _TD1_LINE3, 90: zone}.get(len(zone))
    if padded is None:
        raise MrzTextError(
            "请扫描证件的机读码（护照下方两行或身份证背面三行），或输入：证件号码,出生日期,有效期",
            "Scan the document's machine-readable zone (a passport's two lines or an ID card's "
            "three), or type DOCNO,BIRTH,EXPIRY",
        )
    try:
        data = parse_mrz(padded)
    except MalformedCardData:
        data = None
    if data is None or not data.check_digits_ok:
        raise MrzTextError(
            "机读码校验位不符，请重新扫描或手工输入三项",
            "The machine-readable zone's check digits do not match: scan it again or type the "
            "three items",
        )
    return BacKey(data.document_number, data.birth_yymmdd, data.expiry_yymmdd)


def can_from_text(text: str) -> CanKey:
    """The card access number (6 digits printed on the card's front)."""
    digits = "".join(text.split())
    if not re.fullmatch(r"\d{6}", digits):
        raise MrzTextError(
            "CAN 为证件正面印的 6 位数字",
            "The CAN is the 6 digits printed on the front of the card",
        )
    return CanKey(digits)


def mrz_date(yymmdd: str, *, future: bool, today: date | None = None) -> date | None:
    """YYMMDD to a date: birth dates lie in the past, expiry dates up to 50 years ahead."""
    if not _YYMMDD.match(yymmdd):
        return None
    today = today or date.today()
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    century = (today.year // 100) * 100
    year = century + yy
    if future and year < today.year - 50:
        year += 100
    if not future and year > today.year:
        year -= 100
    try:
        return date(year, mm, dd)
    except ValueError:
        return None

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
        if not re.fullmatch(r"[0-9A-Z<]{1,9}", self.document_number):
            raise ValueError("document number: 1-9 letters or digits")
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


def parse_mrz(raw: str) -> MrzData:
    """Parse a TD3 (88 chars, passports) or TD1 (90 chars, ID cards) MRZ as read from DG1."""
    text = raw.replace("\n", "").replace("\r", "")
    if not re.fullmatch(r"[0-9A-Z<]*", text):
        raise MalformedCardData("MRZ contains characters outside 0-9 A-Z <")
    if len(text) == 88:
        l1, l2 = text[:44], text[44:]
        doc_no, doc_cd = l2[0:9], l2[9]
        birth, birth_cd = l2[13:19], l2[19]
        expiry, expiry_cd = l2[21:27], l2[27]
        ok = (
            check_digit(doc_no) == doc_cd
            and check_digit(birth) == birth_cd
            and check_digit(expiry) == expiry_cd
        )
        names = l1[5:]
        sex, nationality, optional, code, issuer = l2[20], l2[10:13], l2[28:42], l1[0:2], l1[2:5]
    elif len(text) == 90:
        l1, l2, l3 = text[:30], text[30:60], text[60:]
        doc_no, doc_cd = l1[5:14], l1[14]
        birth, birth_cd = l2[0:6], l2[6]
        expiry, expiry_cd = l2[8:14], l2[14]
        ok = (
            check_digit(doc_no) == doc_cd
            and check_digit(birth) == birth_cd
            and check_digit(expiry) == expiry_cd
        )
        names = l3
        sex, nationality, optional, code, issuer = l2[7], l2[15:18], l1[15:30], l1[0:2], l1[2:5]
    else:
        raise MalformedCardData(f"MRZ of {len(text)} characters is neither TD1 nor TD3")
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
        optional=optional.rstrip("<"),
        raw=text,
        check_digits_ok=ok,
    )


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

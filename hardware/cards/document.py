"""The identity a card reader (or the invigilator, by hand) reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Protocol


class DocumentType(str, Enum):  # noqa: UP042 (values compared as strings elsewhere)
    CN_RESIDENT_ID = "cn_resident_id"  # 居民身份证
    CN_FOREIGN_PERMANENT = "cn_foreign_permanent"  # 外国人永久居留身份证
    CN_HMT_RESIDENCE = "cn_hmt_residence"  # 港澳台居民居住证
    PASSPORT = "passport"  # ICAO 9303 TD3
    EMRTD_ID = "emrtd_id"  # ICAO 9303 TD1 national ID cards
    NATIONAL_EID = "national_eid"  # plain-APDU national ID cards (Belgian eID layout)
    CARD_UID = "card_uid"  # any contactless card: binds a checked-in card, never an identity
    MANUAL = "manual"  # typed by the invigilator


class ReadingMethod(str, Enum):  # noqa: UP042
    PCSC_EMRTD_BAC = "pcsc_emrtd_bac"
    PCSC_EMRTD_PACE = "pcsc_emrtd_pace"
    PCSC_APDU = "pcsc_apdu"
    PCSC_UID = "pcsc_uid"
    GAT467_SERIAL = "gat467_serial"
    MANUAL = "manual"
    SIMULATED = "simulated"


class PassiveAuth(str, Enum):  # noqa: UP042
    PASSED = "passed"  # hashes, signature and the signer's CSCA chain all verified
    FAILED = "failed"
    NOT_CHECKED = "not_checked"
    NOT_APPLICABLE = "not_applicable"
    NO_CSCA = "no_csca"  # hashes and signature verified; no CSCA list to check the signer
    UNKNOWN_CSCA = "unknown_csca"  # hashes and signature verified; signer's CSCA not listed


class CheckResult(str, Enum):  # noqa: UP042
    PASSED = "passed"
    FAILED = "failed"  # the chip or its data are not what the issuer made: refuse
    NOT_CHECKED = "not_checked"  # could have been checked but was not: review
    NOT_SUPPORTED = "not_supported"  # the chip does not offer this check


@dataclass(frozen=True)
class Check:
    """One check on a chip, in words for the door ("passive", "active", "chip", "access")."""

    kind: str
    result: CheckResult
    zh: str
    en: str
    detail: str = ""  # for the log, in English


@dataclass(frozen=True)
class IdentityDocument:
    doc_type: DocumentType
    number: str
    name: str
    reading_method: ReadingMethod
    sex: str = ""  # "M", "F" or "" when unknown
    birth_date: date | None = None
    nationality: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    photo: bytes | None = None  # decoded image (JPEG/PNG) ready for face checks
    card_uid: str | None = None
    passive_auth: PassiveAuth = PassiveAuth.NOT_APPLICABLE
    checks: tuple[Check, ...] = ()  # chip checks in reading order, each in words
    extra: Mapping[str, str] = field(default_factory=dict)  # address, ethnic group, issuer...
    raw: Mapping[str, str] = field(default_factory=dict)  # hex of what was read, for audit

    def summary(self) -> dict[str, object]:
        """The fields safe to show and record with a check-in (no photo, no raw bytes)."""
        return {
            "doc_type": self.doc_type.value,
            "number": self.number,
            "name": self.name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "nationality": self.nationality,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "reading_method": self.reading_method.value,
            "passive_auth": self.passive_auth.value,
            "checks": {c.kind: c.result.value for c in self.checks},
            "card_uid": self.card_uid,
            "has_photo": self.photo is not None,
        }


class CardReader(Protocol):
    """One open reader session. Implementations own their device on one thread."""

    name: str

    def read(self, timeout: float) -> IdentityDocument | None:
        """Wait up to `timeout` seconds for a card and read it.

        Returns None when no card came; raises DeviceError for a card or reader problem.
        """
        ...

    def close(self) -> None: ...

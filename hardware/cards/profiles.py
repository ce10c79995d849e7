"""Which profile reads a presented card: by ATR first, then by application and file probes.

Order: a plain-APDU profile whose ATR pattern matches; the eMRTD application (SELECT AID);
a plain-APDU profile whose identity file answers SELECT by path; finally the contactless UID
(PC/SC `GET DATA`), which yields a `CARD_UID` document, never an identity by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509

from hardware.cards import access, apdu, eid, emrtd
from hardware.cards.apdu import Transport
from hardware.cards.csca import TrustStore
from hardware.cards.document import DocumentType, IdentityDocument, PassiveAuth, ReadingMethod
from hardware.cards.eid import PlainApduProfile
from hardware.cards.eid_be import BELGIUM
from hardware.cards.errors import CardError, MalformedCardData, UnknownCard
from hardware.cards.files import ReaderCaps
from hardware.cards.mrz import AccessKey

_PLAIN_PROFILES: list[PlainApduProfile] = [BELGIUM]


def register_profile(profile: PlainApduProfile) -> None:
    """Add a country's plain-APDU profile (checked before the built-in ones)."""
    _PLAIN_PROFILES.insert(0, profile)


def plain_profiles() -> tuple[PlainApduProfile, ...]:
    return tuple(_PLAIN_PROFILES)


@dataclass(frozen=True)
class ReadOptions:
    bac_keys: Sequence[AccessKey] = ()  # MRZ data (BAC or PACE) and CANs (PACE), in order
    csca: TrustStore | Sequence[x509.Certificate] = field(default_factory=tuple)


def card_uid(transport: Transport) -> str | None:
    """The contactless UID (upper-case hex), or None when the reader/card has none."""
    response = transport.transmit(apdu.GET_UID)
    if response.ok and 4 <= len(response.data) <= 10:
        return response.data.hex().upper()
    return None


def uid_document(uid: str, atr: bytes) -> IdentityDocument:
    return IdentityDocument(
        doc_type=DocumentType.CARD_UID,
        number=uid,
        name="",
        reading_method=ReadingMethod.PCSC_UID,
        card_uid=uid,
        passive_auth=PassiveAuth.NOT_APPLICABLE,
        raw={"atr": atr.hex()},
    )


def read_card(
    transport: Transport, atr: bytes, options: ReadOptions, caps: ReaderCaps | None = None
) -> IdentityDocument:
    """One `IdentityDocument` from the card behind `transport`.

    Raises only CardError subclasses (DeviceError with zh/en text): whatever else a profile
    trips over on a card's bytes becomes MalformedCardData, with the cause in its detail.
    """
    try:
        return _read_card(transport, atr, options, caps)
    except CardError:
        raise
    except Exception as exc:  # a parser's IndexError/ValueError on odd card data, not a crash
        raise MalformedCardData(f"{type(exc).__name__}: {exc}") from exc


def _read_card(
    transport: Transport, atr: bytes, options: ReadOptions, caps: ReaderCaps | None
) -> IdentityDocument:
    uid = card_uid(transport)
    for profile in _PLAIN_PROFILES:
        if profile.matches(atr):
            return eid.read_document(transport, profile, uid)
    card_access = access.read_card_access(transport)
    if access.pace_info(card_access) is not None or emrtd.probe(transport):
        return emrtd.read_document(
            transport,
            options.bac_keys,
            card_uid=uid,
            csca=options.csca,
            caps=caps,
            card_access=card_access,
        )
    for profile in _PLAIN_PROFILES:
        first_path = next(iter(profile.files.values()))
        if transport.transmit(apdu.select_path(first_path)).ok:
            return eid.read_document(transport, profile, uid)
    if uid is not None:
        return uid_document(uid, atr)
    raise UnknownCard(f"no profile for ATR {atr.hex()}")

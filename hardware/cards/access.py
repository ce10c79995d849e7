"""Opening an eMRTD chip: PACE when EF.CardAccess offers a variant this station runs,
BAC otherwise (ICAO 9303-11 section 4.2), and whether extended-length APDUs can be used.

Keys are tried in order (roster entries, typed MRZ, typed CAN); the first the chip accepts
wins. A CAN opens PACE only: a chip without PACE needs the MRZ data.
"""

from __future__ import annotations

from collections.abc import Sequence

from hardware.cards import apdu, bac, pace, security_infos
from hardware.cards.apdu import Transport
from hardware.cards.errors import (
    AccessDenied,
    BacKeyNeeded,
    CardNotResponding,
    MalformedCardData,
)
from hardware.cards.files import ReaderCaps, read_file
from hardware.cards.mrz import AccessKey, BacKey
from hardware.cards.security_infos import PaceInfo
from hardware.cards.sm import SecureTransport

AID = bytes.fromhex("A0000002471001")
EF_CARD_ACCESS = b"\x01\x1c"  # under the MF, readable without access control


def read_card_access(transport: Transport) -> bytes | None:
    """EF.CardAccess, or None when the card has none (or answers oddly: then no PACE)."""
    try:
        return read_file(transport, EF_CARD_ACCESS)
    except MalformedCardData:
        return None


def pace_info(card_access: bytes | None) -> PaceInfo | None:
    """The first PACE variant in EF.CardAccess this station runs (ECDH generic mapping)."""
    if card_access is None:
        return None
    try:
        infos = security_infos.pace_infos(security_infos.parse(card_access))
    except MalformedCardData:
        return None
    return next((i for i in infos if pace.supported(i)), None)


def probe_extended(transport: Transport, caps: ReaderCaps | None, command: bytes) -> bool:
    """Whether this reader and this chip both carry extended-length APDUs.

    The reader's half is learnt once per reader (`caps`): when PC/SC refuses an extended
    APDU the reader is never asked again. The chip's half is one harmless command in
    extended form (`command`: SELECT of the application, or READ BINARY of EF.CardAccess),
    sent before access control so that a refusal cannot end a secure session.
    """
    if caps is not None and caps.extended is False:
        return False
    try:
        answer = transport.transmit(command)
    except CardNotResponding:
        if caps is not None:
            caps.extended = False
        return False
    if answer.ok and caps is not None:
        caps.extended = True
    return answer.ok


def open_chip(
    transport: Transport, keys: Sequence[AccessKey], info: PaceInfo | None
) -> tuple[SecureTransport, str]:
    """Secure messaging with the eMRTD application selected, and "pace" or "bac".

    BacKeyNeeded without a usable key; AccessDenied when every key was refused.
    """
    if info is not None:
        opened = _pace(transport, keys, info)
        if opened is not None:
            return opened, "pace"
    bac_keys = [k for k in keys if isinstance(k, BacKey)]
    if not bac_keys:
        raise BacKeyNeeded("eMRTD chip found; no MRZ data (or CAN for PACE) supplied")
    if not transport.transmit(apdu.select_aid(AID)).ok:
        raise MalformedCardData("eMRTD application not selectable for BAC")
    last: AccessDenied | None = None
    for key in bac_keys:
        try:
            return bac.establish(transport, key), "bac"
        except AccessDenied as exc:
            last = exc
    assert last is not None
    raise AccessDenied(f"{len(bac_keys)} key(s) refused; last: {last.detail}")


def _pace(
    transport: Transport, keys: Sequence[AccessKey], info: PaceInfo
) -> SecureTransport | None:
    """PACE with each key; None when the chip's PACE cannot be run (fall back to BAC)."""
    if not keys:
        raise BacKeyNeeded("PACE chip found; no MRZ data or CAN supplied")
    last: AccessDenied | None = None
    for key in keys:
        try:
            sm = pace.establish(transport, info, key)
        except AccessDenied as exc:
            last = exc
            continue
        except pace.PaceUnsupported:
            return None
        if not sm.transmit(apdu.select_aid(AID)).ok:
            raise MalformedCardData("eMRTD application not selectable after PACE")
        return sm
    assert last is not None
    raise AccessDenied(f"PACE: {len(keys)} key(s) refused; last: {last.detail}")

"""An emulated plain-APDU national ID card in the Belgian eID layout.

Files by absolute path: 3F00DF014031 identity (simple TLV), 4033 address, 4035 JPEG photo.
`identity_file(...)` builds the identity file; `tamper_photo` makes the photo disagree with
the hash in the identity file, as a swapped photo would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from hardware.cards.eid import encode_simple_tlv
from hardware.cards.eid_be import ADDRESS, IDENTITY, PHOTO
from hardware.sim.iso7816_card import FileCard

BE_EID_ATR = bytes.fromhex("3B9813400AA503010101AD1311")


def identity_file(
    *,
    national_number: str = "90011512345",
    surname: str = "Peeters",
    first_names: str = "Marie Louise",
    birth_date: str = "15 JAN 1990",
    sex: str = "V",
    nationality: str = "Belg",
    card_number: str = "592123456789",
    valid_from: str = "01.02.2022",
    valid_until: str = "01.02.2032",
    photo: bytes | None = None,
    overrides: Mapping[int, bytes] | None = None,
) -> bytes:
    fields: dict[int, bytes] = {
        0x01: card_number.encode(),
        0x03: valid_from.encode(),
        0x04: valid_until.encode(),
        0x05: b"Leuven",
        0x06: national_number.encode(),
        0x07: surname.encode(),
        0x08: first_names.encode(),
        0x0A: nationality.encode(),
        0x0B: b"Gent",
        0x0C: birth_date.encode(),
        0x0D: sex.encode(),
        0x0F: b"1",
    }
    if photo is not None:
        fields[0x11] = hashlib.sha1(photo).digest()
    fields.update(overrides or {})
    return encode_simple_tlv(fields)


class BelgianEidCard(FileCard):
    def __init__(
        self,
        identity: bytes,
        photo: bytes | None,
        *,
        address: bytes | None = None,
        atr: bytes = BE_EID_ATR,
    ) -> None:
        paths = {IDENTITY: identity}
        if photo is not None:
            paths[PHOTO] = photo
        paths[ADDRESS] = address or encode_simple_tlv(
            {0x01: b"Naamsestraat 1", 0x02: b"3000", 0x03: b"Leuven"}
        )
        super().__init__(atr, paths=paths)

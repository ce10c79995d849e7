"""Plain-APDU national ID (Belgian eID layout), contactless UID and unknown cards via pcscd."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator

import pytest
from PIL import Image

from hardware.cards.document import DocumentType, PassiveAuth, ReadingMethod
from hardware.cards.eid import AtrPattern, PlainApduProfile, encode_simple_tlv
from hardware.cards.eid_be import parse as parse_be
from hardware.cards.errors import MalformedCardData, UnknownCard
from hardware.cards.pcsc import PcscCardReader
from hardware.cards.profiles import _PLAIN_PROFILES, register_profile
from hardware.sim.eid_card import BelgianEidCard, identity_file
from hardware.sim.emrtd_card import chip_photo
from hardware.sim.iso7816_card import FileCard
from hardware.sim.pcscd_service import PrivatePcscd
from hardware.sim.uid_card import UidCard
from hardware.sim.vpcd import VpcdSlot


@pytest.fixture
def reader(pcscd: PrivatePcscd) -> Iterator[PcscCardReader]:
    r = PcscCardReader(pcscd.readers[1])
    yield r
    r.close()


@pytest.fixture(scope="module")
def photo(face_jpeg: bytes) -> bytes:
    return chip_photo(face_jpeg, 8000)


def test_belgian_eid_gives_identity_and_photo(
    pcscd: PrivatePcscd, reader: PcscCardReader, photo: bytes
) -> None:
    with VpcdSlot(BelgianEidCard(identity_file(photo=photo), photo), pcscd.port + 1):
        doc = reader.read(5)
    assert doc is not None
    assert doc.doc_type == DocumentType.NATIONAL_EID
    assert doc.reading_method == ReadingMethod.PCSC_APDU
    assert (doc.number, doc.name, doc.sex, doc.nationality) == (
        "90011512345",
        "Peeters Marie Louise",
        "F",
        "BEL",
    )
    assert doc.birth_date is not None and doc.birth_date.isoformat() == "1990-01-15"
    assert doc.valid_until is not None and doc.valid_until.isoformat() == "2032-02-01"
    assert doc.extra["address"] == "Naamsestraat 1 3000 Leuven"
    assert doc.photo == photo and doc.extra["photo_hash"] == "ok"
    assert doc.passive_auth == PassiveAuth.NOT_CHECKED
    with Image.open(io.BytesIO(doc.photo)) as img:
        assert img.format == "JPEG"


def test_eid_with_unknown_atr_is_found_by_its_identity_file(
    pcscd: PrivatePcscd, reader: PcscCardReader, photo: bytes
) -> None:
    card = BelgianEidCard(
        identity_file(photo=photo), photo, atr=bytes.fromhex("3B6700000000009000")
    )
    with VpcdSlot(card, pcscd.port + 1):
        doc = reader.read(5)
    assert doc is not None and doc.number == "90011512345"


def test_eid_photo_not_matching_its_hash_fails_authentication(
    pcscd: PrivatePcscd, reader: PcscCardReader, photo: bytes
) -> None:
    other = chip_photo(None, 8000)
    with VpcdSlot(BelgianEidCard(identity_file(photo=photo), other), pcscd.port + 1):
        doc = reader.read(5)
    assert doc is not None and doc.passive_auth == PassiveAuth.FAILED
    assert doc.extra["photo_hash"] == "mismatch"


def test_eid_identity_file_with_overlong_tlv_length_is_refused(
    pcscd: PrivatePcscd, reader: PcscCardReader
) -> None:
    good = identity_file()
    bad = good[:-3] + b"\x0f\x7f\x31"  # last tag claims 127 bytes, one remains
    with VpcdSlot(BelgianEidCard(bad, None), pcscd.port + 1):
        with pytest.raises(MalformedCardData) as info:
            reader.read(5)
    assert "丢弃" in info.value.zh


def test_contactless_uid_binds_but_is_not_an_identity(
    pcscd: PrivatePcscd, reader: PcscCardReader
) -> None:
    with VpcdSlot(UidCard(bytes.fromhex("04A1B2C3D4E5F6")), pcscd.port + 1):
        doc = reader.read(5)
    assert doc is not None
    assert doc.doc_type == DocumentType.CARD_UID
    assert doc.card_uid == "04A1B2C3D4E5F6" and doc.name == ""


def test_card_without_any_known_profile_is_unknown_card(
    pcscd: PrivatePcscd, reader: PcscCardReader
) -> None:
    with VpcdSlot(FileCard(bytes.fromhex("3B0200FF")), pcscd.port + 1):
        with pytest.raises(UnknownCard) as info:
            reader.read(5)
    assert "不是本系统支持的证件" in info.value.zh


def test_another_country_profile_can_be_registered(
    pcscd: PrivatePcscd, reader: PcscCardReader
) -> None:
    path = bytes.fromhex("3F005000")
    profile = PlainApduProfile(
        name="Utopia ID",
        atr_patterns=(AtrPattern(bytes.fromhex("3B021234")),),
        files={"identity": path},
        parse=parse_be,  # same TLV layout, different file location
    )
    register_profile(profile)
    try:
        ident = identity_file(national_number="UT-777", surname="Moreau")
        with VpcdSlot(FileCard(bytes.fromhex("3B021234"), paths={path: ident}), pcscd.port + 1):
            doc = reader.read(5)
    finally:
        _PLAIN_PROFILES.remove(profile)
    assert doc is not None and doc.number == "UT-777" and doc.name.startswith("Moreau")


def test_simple_tlv_long_lengths_round_trip() -> None:
    value = bytes(range(256)) * 3
    encoded = encode_simple_tlv({0x11: hashlib.sha1(value).digest(), 0x20: value})
    from hardware.cards.eid import parse_simple_tlv

    assert parse_simple_tlv(encoded)[0x20] == value

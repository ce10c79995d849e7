"""Passports (ICAO 9303 eMRTD) through pcscd + vpcd with the in-tree chip emulator."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from hardware.cards.document import CheckResult, DocumentType, PassiveAuth, ReadingMethod
from hardware.cards.errors import AccessDenied, BacKeyNeeded
from hardware.cards.mrz import BacKey
from hardware.cards.pcsc import PcscCardReader
from hardware.sim.emrtd_card import DemoPki, EmrtdCard, Passport, issue_passport, make_pki
from hardware.sim.pcscd_service import PrivatePcscd
from hardware.sim.vpcd import VpcdSlot


@pytest.fixture
def reader(pcscd: PrivatePcscd, pki: DemoPki) -> Iterator[PcscCardReader]:
    r = PcscCardReader(pcscd.readers[0], csca=[pki.csca_cert])
    yield r
    r.close()


@pytest.fixture(scope="module")
def passport(pki: DemoPki, face_jpeg: bytes) -> Passport:
    return issue_passport(pki=pki, photo=face_jpeg)


def test_passport_read_with_bac_gives_identity_photo_and_passed_pa(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport: Passport
) -> None:
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        doc = reader.read(5, bac=passport.key)
    assert doc is not None
    assert doc.doc_type == DocumentType.PASSPORT
    assert doc.reading_method == ReadingMethod.PCSC_EMRTD_BAC
    assert (doc.number, doc.name, doc.sex, doc.nationality) == (
        "E12345678",
        "ZHANG WEI",
        "M",
        "CHN",
    )
    assert doc.birth_date is not None and doc.birth_date.isoformat() == "1990-01-15"
    assert doc.valid_until is not None and doc.valid_until.isoformat() == "2034-01-01"
    assert doc.passive_auth == PassiveAuth.PASSED
    assert doc.extra["csca"] == "trusted"
    assert doc.card_uid == passport.uid.hex().upper()
    assert doc.photo == passport.photo  # the chip's JPEG, byte for byte
    with Image.open(io.BytesIO(doc.photo)) as img:
        assert img.size[0] > 100
    assert "dg1" in doc.raw and "ef_sod" in doc.raw


def test_jpeg2000_face_is_transcoded_for_the_face_check(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki, face_jpeg: bytes
) -> None:
    passport = issue_passport(pki=pki, photo=face_jpeg, jpeg2000=True, photo_bytes=12_000)
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        doc = reader.read(5, bac=passport.key)
    assert doc is not None and doc.photo is not None
    assert doc.extra["photo_format"] == "jpeg2000"
    with Image.open(io.BytesIO(doc.photo)) as img:
        assert img.format == "JPEG"
    assert doc.passive_auth == PassiveAuth.PASSED


def test_no_key_asks_for_mrz_then_same_card_reads_with_key(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport: Passport
) -> None:
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        with pytest.raises(BacKeyNeeded) as info:
            reader.read(5)
        assert "出生日期" in info.value.zh
        # the card stays on the reader: without a key it is not read again ...
        assert reader.read(0.6) is None
        # ... but once the invigilator supplies the MRZ data it is
        doc = reader.read(5, bac=passport.key)
    assert doc is not None and doc.number == "E12345678"


def test_wrong_bac_key_is_access_denied_with_a_clear_message(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport: Passport
) -> None:
    card = EmrtdCard(passport)
    with VpcdSlot(card, pcscd.port):
        with pytest.raises(AccessDenied) as info:
            reader.read(5, bac=BacKey("E12345678", "900116", "340101"))
    assert "does not match" in info.value.en or "do not match" in info.value.en
    assert "拒绝访问" in info.value.zh
    assert card.failed_auth == 1


def test_roster_callback_keys_are_tried_until_one_opens_the_chip(
    pcscd: PrivatePcscd, pki: DemoPki, passport: Passport
) -> None:
    picked = [BacKey("G00000001", "800101", "300101"), passport.key]
    reader = PcscCardReader(pcscd.readers[0], bac_keys=lambda: picked, csca=[pki.csca_cert])
    try:
        with VpcdSlot(EmrtdCard(passport), pcscd.port):
            doc = reader.read(5)
    finally:
        reader.close()
    assert doc is not None and doc.number == "E12345678"


def test_dg2_not_matching_sod_fails_passive_authentication(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki, face_jpeg: bytes
) -> None:
    genuine = issue_passport(pki=pki, photo=face_jpeg)
    swapped = issue_passport(pki=pki, photo=None)  # another face, same person data
    genuine.files[b"\x01\x02"] = swapped.files[b"\x01\x02"]
    with VpcdSlot(EmrtdCard(genuine), pcscd.port):
        doc = reader.read(5, bac=genuine.key)
    assert doc is not None
    assert doc.passive_auth == PassiveAuth.FAILED
    assert "DG2" in doc.extra["passive_auth_detail"]


def test_without_a_csca_list_passive_authentication_is_not_checked_never_passed(
    pcscd: PrivatePcscd, passport: Passport
) -> None:
    lax = PcscCardReader(pcscd.readers[1])
    try:
        with VpcdSlot(EmrtdCard(passport), pcscd.port + 1):
            doc = lax.read(5, bac=passport.key)
    finally:
        lax.close()
    assert doc is not None and doc.passive_auth == PassiveAuth.NO_CSCA
    assert doc.extra["csca"] == "not_configured"
    passive = next(c for c in doc.checks if c.kind == "passive")
    assert passive.result == CheckResult.NOT_CHECKED
    assert "未配置 CSCA 列表" in passive.zh and "no CSCA list" in passive.en


def test_signer_whose_csca_is_not_listed_is_not_a_pass(
    pcscd: PrivatePcscd, passport: Passport
) -> None:
    other = make_pki("XXX")
    strict = PcscCardReader(pcscd.readers[0], csca=[other.csca_cert])
    try:
        with VpcdSlot(EmrtdCard(passport), pcscd.port):
            doc = strict.read(5, bac=passport.key)
    finally:
        strict.close()
    assert doc is not None and doc.passive_auth == PassiveAuth.UNKNOWN_CSCA
    assert doc.extra["csca"] == "unknown"


def test_a_card_left_on_the_reader_is_read_once(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport: Passport
) -> None:
    slot = VpcdSlot(EmrtdCard(passport), pcscd.port)
    with slot:
        assert reader.read(5, bac=passport.key) is not None
        assert reader.read(0.8, bac=None) is None
    with slot:  # presented again
        assert reader.read(5, bac=passport.key) is not None

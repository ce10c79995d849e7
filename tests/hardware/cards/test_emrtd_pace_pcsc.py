"""PACE through pcscd + vpcd with the in-tree PACE chip emulator: MRZ or CAN password,
NIST and Brainpool curves, AES and 3DES secure messaging, BAC only without PACE."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.cards.document import CheckResult, DocumentType, PassiveAuth, ReadingMethod
from hardware.cards.errors import AccessDenied, BacKeyNeeded
from hardware.cards.mrz import CanKey
from hardware.cards.pcsc import PcscCardReader
from hardware.sim.emrtd_card import FID_DG2, DemoPki, EmrtdCard, issue_passport
from hardware.sim.pcscd_service import PrivatePcscd
from hardware.sim.vpcd import VpcdSlot

from .conftest import FACES

BSI_PACE = "0.4.0.127.0.7.2.2.4"
GM_3DES, GM_AES128 = f"{BSI_PACE}.2.1", f"{BSI_PACE}.2.2"
GM_AES192, GM_AES256 = f"{BSI_PACE}.2.3", f"{BSI_PACE}.2.4"
IM_AES128 = f"{BSI_PACE}.4.2"
DH_AES128, DH_AES256 = f"{BSI_PACE}.1.2", f"{BSI_PACE}.1.4"
P256, BP256, BP384, BP512 = 12, 13, 16, 17
MODP1024, MODP2048_256 = 0, 2  # RFC 5114 groups


@pytest.fixture
def reader(pcscd: PrivatePcscd, pki: DemoPki) -> Iterator[PcscCardReader]:
    r = PcscCardReader(pcscd.readers[0], csca=[pki.csca_cert])
    yield r
    r.close()


def _access_instructions(card: EmrtdCard) -> set[int]:
    return {c[1] for c in card.log if c[0] & 0x0C == 0 and c[1] in (0x22, 0x82, 0x84, 0x86)}


@pytest.mark.parametrize(
    ("oid", "param"),
    [
        (GM_AES128, P256),
        (GM_AES256, BP256),
        (GM_AES192, BP384),
        (GM_3DES, P256),
        (DH_AES128, MODP1024),
        (DH_AES256, MODP2048_256),
    ],
    ids=[
        "aes128-p256",
        "aes256-brainpool256",
        "aes192-brainpool384",
        "3des-p256",
        "dh1024-aes128",
        "dh2048-aes256",
    ],
)
def test_pace_only_chip_opens_with_the_mrz(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki, oid: str, param: int
) -> None:
    passport = issue_passport(pki=pki, pace=(oid, param), bac=False, aa="ec", ca="NIST256p")
    card = EmrtdCard(passport)
    with VpcdSlot(card, pcscd.port):
        doc = reader.read(10, bac=passport.key)
    assert doc is not None and doc.number == "E12345678"
    assert doc.reading_method == ReadingMethod.PCSC_EMRTD_PACE
    assert doc.photo == passport.photo and doc.passive_auth == PassiveAuth.PASSED
    assert {c.kind: c.result for c in doc.checks} == {
        "passive": CheckResult.PASSED,
        "active": CheckResult.PASSED,
        "chip": CheckResult.PASSED,
    }
    assert _access_instructions(card) == {0x22, 0x86}  # PACE, never BAC


def test_id_card_opens_with_its_can(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    passport = issue_passport(
        pki=pki, pace=(GM_AES128, BP512), bac=False, can="482913", layout="td1",
        number="L01X00T47", surname="MUSTERMANN", given="ERIKA", sex="F",
    )  # fmt: skip
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        doc = reader.read(10, bac=CanKey("482913"))
    assert doc is not None and doc.reading_method == ReadingMethod.PCSC_EMRTD_PACE
    assert doc.doc_type == DocumentType.EMRTD_ID  # a TD1 MRZ in DG1
    assert (doc.number, doc.name, doc.sex) == ("L01X00T47", "MUSTERMANN ERIKA", "F")
    assert doc.extra["mrz_check_digits"] == "ok"


def test_wrong_can_is_access_denied_and_the_right_one_then_opens(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    passport = issue_passport(pki=pki, pace=(GM_AES128, P256), bac=False, can="482913")
    card = EmrtdCard(passport)
    with VpcdSlot(card, pcscd.port):
        with pytest.raises(AccessDenied) as info:
            reader.read(10, bac=CanKey("111111"))
        assert "拒绝访问" in info.value.zh
        assert card.failed_auth == 1
        doc = reader.read(10, bac=CanKey("482913"))
    assert doc is not None


def test_chip_with_pace_and_bac_is_opened_with_pace(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    passport = issue_passport(pki=pki, pace=(GM_AES128, BP256), bac=True)
    card = EmrtdCard(passport)
    with VpcdSlot(card, pcscd.port):
        doc = reader.read(10, bac=passport.key)
    assert doc is not None and doc.reading_method == ReadingMethod.PCSC_EMRTD_PACE
    assert 0x82 not in _access_instructions(card)


def test_pace_variant_the_station_does_not_run_falls_back_to_bac(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    passport = issue_passport(pki=pki, pace=(IM_AES128, P256), bac=True)
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        doc = reader.read(10, bac=passport.key)
    assert doc is not None and doc.reading_method == ReadingMethod.PCSC_EMRTD_BAC


def test_a_can_alone_cannot_open_a_bac_only_chip(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    passport = issue_passport(pki=pki)
    with VpcdSlot(EmrtdCard(passport), pcscd.port), pytest.raises(BacKeyNeeded):
        reader.read(10, bac=CanKey("123456"))


@pytest.mark.parametrize("extended", [False, True], ids=["short-apdus", "extended-length"])
def test_large_photo_under_aes_secure_messaging(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki, extended: bool
) -> None:
    photo = Path(FACES / "edge" / "obama_720p.jpg").read_bytes()
    passport = issue_passport(
        pki=pki, pace=(GM_AES256, BP256), bac=False, photo=photo, photo_bytes=90_000,
        photo_box=(1280, 720),
    )  # fmt: skip
    assert len(passport.files[FID_DG2]) > 65_536
    card = EmrtdCard(passport)
    card.extended_length = extended
    with VpcdSlot(card, pcscd.port):
        doc = reader.read(20, bac=passport.key)
    assert doc is not None and doc.photo == passport.photo
    assert doc.passive_auth == PassiveAuth.PASSED
    assert 0xB1 in {c[1] for c in card.log}

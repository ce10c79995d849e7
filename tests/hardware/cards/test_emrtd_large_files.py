"""Chip files of any size through pcscd + vpcd: long TLV headers, READ BINARY B1, extended
length, and every odd answer turned into a DeviceError the door can show."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hardware.cards import tlv
from hardware.cards.apdu import Response, parse_command
from hardware.cards.document import PassiveAuth
from hardware.cards.errors import CardNotResponding, MalformedCardData
from hardware.cards.files import ReaderCaps
from hardware.cards.pcsc import PcscCardReader
from hardware.cards.profiles import ReadOptions, read_card
from hardware.sim.emrtd_card import (
    EMRTD_ATR,
    FID_DG2,
    DemoPki,
    EmrtdCard,
    Passport,
    issue_passport,
)
from hardware.sim.pcscd_service import PrivatePcscd
from hardware.sim.vpcd import VpcdSlot

from .conftest import FACES


def _passport(pki: DemoPki, source: str, size: int, box: tuple[int, int]) -> Passport:
    path = FACES / "edge" / source
    if not path.exists():
        pytest.fail(f"test photo not found at {path}")
    return issue_passport(pki=pki, photo=path.read_bytes(), photo_bytes=size, photo_box=box)


@pytest.fixture(scope="module")
def passport_34k(pki: DemoPki) -> Passport:
    p = _passport(pki, "obama_480p.jpg", 34_000, (640, 480))
    assert 32_767 < len(p.files[FID_DG2]) < 65_536
    return p


@pytest.fixture(scope="module")
def passport_90k(pki: DemoPki) -> Passport:
    p = _passport(pki, "obama_720p.jpg", 95_000, (1280, 720))
    dg2 = p.files[FID_DG2]
    assert len(dg2) > 65_536 and tlv.header_size(dg2) == 5  # 75 83 xx xx xx
    return p


@pytest.fixture
def reader(pcscd: PrivatePcscd, pki: DemoPki) -> Iterator[PcscCardReader]:
    r = PcscCardReader(pcscd.readers[0], csca=[pki.csca_cert])
    yield r
    r.close()


def _instructions(card: EmrtdCard) -> set[int]:
    return {c[1] for c in card.log}


@pytest.mark.parametrize("extended", [False, True], ids=["short-apdus", "extended-length"])
def test_34_kb_photo_reads_whole(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport_34k: Passport, extended: bool
) -> None:
    card = EmrtdCard(passport_34k)
    card.extended_length = extended
    with VpcdSlot(card, pcscd.port):
        doc = reader.read(10, bac=passport_34k.key)
    assert doc is not None and doc.photo == passport_34k.photo
    assert doc.passive_auth == PassiveAuth.PASSED  # every byte of DG2 hashed as signed
    if not extended:
        assert 0xB1 in _instructions(card)  # past offset 32767 only the odd READ BINARY reaches


def test_photo_over_64_kb_with_a_five_byte_header(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport_90k: Passport
) -> None:
    short_card, long_card = EmrtdCard(passport_90k), EmrtdCard(passport_90k)
    short_card.extended_length = False
    with VpcdSlot(short_card, pcscd.port):
        short_doc = reader.read(20, bac=passport_90k.key)
    with VpcdSlot(long_card, pcscd.port):
        long_doc = reader.read(20, bac=passport_90k.key)
    for doc in (short_doc, long_doc):
        assert doc is not None and doc.photo == passport_90k.photo
        assert doc.passive_auth == PassiveAuth.PASSED
    assert 0xB1 in _instructions(short_card) and 0xB1 in _instructions(long_card)
    # extended length carries the same file in far fewer exchanges
    assert len(long_card.log) * 3 < len(short_card.log)


def test_a_file_claiming_more_than_1_mb_is_refused_in_words(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport_34k: Passport, pki: DemoPki
) -> None:
    files = dict(passport_34k.files)
    files[FID_DG2] = b"\x75\x83\x10\x00\x01" + files[FID_DG2][4:200]
    bad = Passport(files, passport_34k.key, passport_34k.mrz, passport_34k.photo)
    with VpcdSlot(EmrtdCard(bad), pcscd.port), pytest.raises(MalformedCardData) as info:
        reader.read(10, bac=bad.key)
    assert "claims 1048582 bytes" in info.value.detail  # 5-byte header + 1 MB + 1
    assert "重新放卡" in info.value.zh and "Present the card again" in info.value.en


def test_a_file_shorter_than_its_header_says_is_malformed_not_a_traceback(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport_34k: Passport, pki: DemoPki
) -> None:
    files = dict(passport_34k.files)
    files[FID_DG2] = files[FID_DG2][:33_000]  # the chip's file ends early, past B0's reach
    bad = Passport(files, passport_34k.key, passport_34k.mrz, passport_34k.photo)
    with VpcdSlot(EmrtdCard(bad), pcscd.port), pytest.raises(MalformedCardData) as info:
        reader.read(10, bac=bad.key)
    assert "READ BINARY" in info.value.detail
    assert info.value.zh and info.value.en


class RefusingReader:
    """A reader whose driver refuses extended-length APDUs at the PC/SC layer (vpcd itself
    carries them, so this one case is played by a stand-in in front of the emulator)."""

    def __init__(self, card: EmrtdCard) -> None:
        self.card = card
        self.extended_sent = 0

    def transmit(self, command: bytes) -> Response:
        if parse_command(command).extended:
            self.extended_sent += 1
            raise CardNotResponding("SCardTransmit: insufficient buffer")
        answer = self.card.apdu(command)
        assert answer is not None
        return Response.from_bytes(answer)


def test_a_reader_that_refuses_extended_length_is_probed_once(
    passport_34k: Passport, pki: DemoPki
) -> None:
    caps = ReaderCaps()
    options = ReadOptions((passport_34k.key,), (pki.csca_cert,))
    first = RefusingReader(EmrtdCard(passport_34k))
    doc = read_card(first, EMRTD_ATR, options, caps)
    assert doc.photo == passport_34k.photo and first.extended_sent == 1
    assert caps.extended is False
    second = RefusingReader(EmrtdCard(passport_34k))  # the next card on the same reader
    assert read_card(second, EMRTD_ATR, options, caps).photo == passport_34k.photo
    assert second.extended_sent == 0

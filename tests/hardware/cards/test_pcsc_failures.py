"""What the door sees when the card, the reader or pcscd misbehaves (real pcscd + vpcd)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from hardware.cards.errors import (
    CardError,
    CardNotResponding,
    CardRemoved,
    PcscUnavailable,
    ReaderNotFound,
    ReaderRemoved,
)
from hardware.cards.pcsc import PcscCardReader, list_readers
from hardware.sim.emrtd_card import DemoPki, EmrtdCard, Passport, issue_passport
from hardware.sim.pcscd_service import PrivatePcscd
from hardware.sim.uid_card import UidCard
from hardware.sim.vpcd import VpcdSlot


@pytest.fixture(scope="module")
def passport(pki: DemoPki) -> Passport:
    return issue_passport(pki=pki)


@pytest.fixture
def reader(pcscd: PrivatePcscd) -> Iterator[PcscCardReader]:
    r = PcscCardReader(pcscd.readers[0], exchange_timeout=1.0)
    yield r
    r.close()


def test_reader_list_shows_card_and_empty_slots(pcscd: PrivatePcscd) -> None:
    with VpcdSlot(UidCard(bytes.fromhex("04112233445566")), pcscd.port):
        for _ in range(20):  # pcscd notices the card at its next presence poll
            states = {r.name: r for r in list_readers()}
            if states[pcscd.readers[0]].state == "card":
                break
            threading.Event().wait(0.1)
    assert states[pcscd.readers[0]].state == "card"
    assert states[pcscd.readers[0]].atr.startswith("3B8F")
    assert states[pcscd.readers[1]].state == "empty"


def test_card_pulled_between_apdus_is_card_removed_and_next_card_reads(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport: Passport
) -> None:
    slot = VpcdSlot(EmrtdCard(passport), pcscd.port)
    slot.insert()
    slot.remove_after(12)  # during the DG reads, after BAC
    with pytest.raises(CardRemoved) as info:
        reader.read(5, bac=passport.key)
    assert "移开" in info.value.zh
    slot.remove()
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        doc = reader.read(5, bac=passport.key)
    assert doc is not None and doc.number == passport.key.document_number


def test_card_that_stops_answering_times_out_and_reader_recovers(
    pcscd: PrivatePcscd, reader: PcscCardReader, passport: Passport
) -> None:
    card = EmrtdCard(passport)
    card.mute_on = bytes([0x0C, 0xB0])  # goes silent on its first protected READ BINARY
    slot = VpcdSlot(card, pcscd.port)
    slot.insert()
    try:
        with pytest.raises(CardNotResponding) as info:
            reader.read(5, bac=passport.key)
        assert "无响应" in info.value.zh
    finally:
        slot.remove()
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        doc = reader.read(10, bac=passport.key)
    assert doc is not None


def test_pcscd_stopped_is_a_clear_state_and_reading_resumes_after_restart(
    pcscd: PrivatePcscd, reader: PcscCardReader
) -> None:
    pcscd.stop()
    try:
        with pytest.raises(PcscUnavailable) as info:
            reader.read(1.0)
        assert "pcscd" in info.value.zh
        with pytest.raises(PcscUnavailable):
            list_readers()
    finally:
        pcscd.start()
    with VpcdSlot(UidCard(bytes.fromhex("0A0B0C0D")), pcscd.port):
        doc = reader.read(5)
    assert doc is not None and doc.card_uid == "0A0B0C0D"


def test_reader_unplugged_while_waiting_then_plugged_back(
    pcscd: PrivatePcscd, reader: PcscCardReader
) -> None:
    outcome: list[object] = []

    def wait() -> None:
        try:
            outcome.append(reader.read(4.0))
        except CardError as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    threading.Event().wait(0.5)  # the reader is now waiting on the present reader
    try:
        pcscd.restart(with_reader=False)  # the reader disappears
        waiter.join(timeout=30)
        assert isinstance(outcome[0], ReaderRemoved), outcome
        assert "拔出" in outcome[0].zh
        with pytest.raises(ReaderNotFound):
            reader.read(0.5)
    finally:
        pcscd.restart(with_reader=True)
    with VpcdSlot(UidCard(bytes.fromhex("01020304")), pcscd.port):
        doc = reader.read(5)
    assert doc is not None and doc.card_uid == "01020304"

"""Sign-in at the seat with a real PC/SC stack: a private pcscd with a vpcd reader and the
in-tree card emulators (a plain-APDU national ID card, a contactless card bound at the door).
Only one pcscd can run on a machine: if another is running these tests fail and say so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt
from pytestqt.exceptions import TimeoutError
from pytestqt.qtbot import QtBot

from examkiosk.core.station import Station
from examkiosk.ui.ops import Operations
from examkiosk.ui.seat import SeatScreen
from hardware.cards.pcsc import PcscCardReader, list_readers
from hardware.sim import pcscd_service
from hardware.sim.eid_card import BelgianEidCard, identity_file
from hardware.sim.uid_card import UidCard
from hardware.sim.vpcd import VirtualCard, VpcdSlot

NATIONAL_NUMBER = "90011512345"  # the eID the candidate was checked in with
UID = "04A1B2C3D4E5F6"


@pytest.fixture(scope="module")
def pcscd() -> Iterator[pcscd_service.PrivatePcscd]:
    try:
        service = pcscd_service.shared()
    except pcscd_service.PcscdBusy as exc:
        pytest.fail(f"the seat's PC/SC tests need their own pcscd: {exc}")
    except pcscd_service.PcscdMissing as exc:
        pytest.fail(f"the seat's PC/SC tests need pcscd and vpcd: {exc}")
    yield service
    pcscd_service.release()


@pytest.fixture
def pcsc_seat(
    qtbot: QtBot, station: Station, ops: Operations, pcscd: pcscd_service.PrivatePcscd
) -> Iterator[SeatScreen]:
    with station.store.transaction() as conn:  # 张三 registered with a national eID
        conn.execute(
            "UPDATE candidates SET id_number = ? WHERE candidate_id = 'C1'", (NATIONAL_NUMBER,)
        )
    reader = PcscCardReader(pcscd.readers[1])
    # Not qtbot.addWidget: pytest-qt deletes those before this fixture's teardown, and the
    # read still in flight would come back to a deleted watch.
    screen = SeatScreen(station, ops)
    screen.resize(1366, 768)
    screen.show()
    screen.set_card_reader(reader)
    screen.activate()
    yield screen
    screen.stop()
    # A read in flight ends within its slice, or the reader's exchange timeout (5 s).
    qtbot.waitUntil(lambda: screen.watch is None or not screen.watch._in_flight, timeout=15_000)
    reader.close()
    screen.close()
    screen.deleteLater()


def slot_state(pcscd: pcscd_service.PrivatePcscd) -> str:
    return next(r.state for r in list_readers() if r.name == pcscd.readers[1])


@contextmanager
def on_reader(
    qtbot: QtBot, card: VirtualCard, pcscd: pcscd_service.PrivatePcscd
) -> Iterator[VpcdSlot]:
    """The card on the seat's reader, then lifted; returns once pcscd has seen it go."""
    with VpcdSlot(card, pcscd.port + 1) as slot:
        yield slot
    qtbot.waitUntil(lambda: slot_state(pcscd) == "empty", timeout=5_000)


def events(station: Station, kind: str) -> list[dict[str, object]]:
    return [e.payload for e in station.events() if e.type == kind]


def attempts(station: Station) -> int:
    return int(station.store.query("SELECT count(*) FROM attempts")[0][0])


def eid() -> BelgianEidCard:
    return BelgianEidCard(identity_file(national_number=NATIONAL_NUMBER), None)


def test_the_national_id_card_on_the_pcsc_reader_signs_the_candidate_in(
    qtbot: QtBot, pcsc_seat: SeatScreen, station: Station, pcscd: pcscd_service.PrivatePcscd
) -> None:
    seat = pcsc_seat
    with on_reader(qtbot, eid(), pcscd):
        qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=15_000)
    assert seat.confirm.name.text() == "张三"
    qtbot.keyClick(seat.confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.question, timeout=5000)
    qtbot.waitUntil(lambda: bool(events(station, "seat.signed_in")), timeout=5000)
    (signed,) = events(station, "seat.signed_in")
    assert (signed["method"], signed["doc_type"], signed["reading_method"]) == (
        "card",
        "national_eid",
        "pcsc_apdu",
    )


def test_a_card_taken_away_mid_read_says_so_and_changes_nothing(
    qtbot: QtBot, pcsc_seat: SeatScreen, station: Station, pcscd: pcscd_service.PrivatePcscd
) -> None:
    seat = pcsc_seat
    slot = VpcdSlot(eid(), pcscd.port + 1)
    slot.insert()
    slot.remove_after(3)  # pulled while the identity file is being read
    # pcscd polls its readers: a card pulled mid-exchange is "taken away" once pcscd has
    # seen it go; before that the driver may call it "not answering" or unreadable. Each
    # seat message for a card problem says the candidate is not signed in (未登录).
    try:
        qtbot.waitUntil(lambda: "未登录" in seat.login.error.text(), timeout=15_000)
    except TimeoutError:
        pytest.fail(
            f"no card message: page {seat.stack.currentWidget().objectName()!r}, message "
            f"{seat.login.error.text()!r}, {slot.apdu_count} APDUs, card in: {slot.inserted}"
        )
    slot.remove()
    qtbot.waitUntil(lambda: slot_state(pcscd) == "empty", timeout=5_000)
    assert seat.stack.currentWidget() is seat.login and seat.login.login.isEnabled()
    assert attempts(station) == 0 and not events(station, "seat.signed_in")
    with on_reader(qtbot, eid(), pcscd):  # put back properly: it reads
        qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=15_000)


def test_a_contactless_card_counts_only_if_the_door_bound_it(
    qtbot: QtBot, pcsc_seat: SeatScreen, station: Station, pcscd: pcscd_service.PrivatePcscd
) -> None:
    seat = pcsc_seat
    with on_reader(qtbot, UidCard(bytes.fromhex(UID)), pcscd):
        qtbot.waitUntil(lambda: "没有在入口登记" in seat.login.error.text(), timeout=15_000)
    assert seat.stack.currentWidget() is seat.login
    with station.store.transaction() as conn:
        conn.execute("UPDATE checkins SET card_uid = ? WHERE candidate_id = 'C1'", (UID,))
    with on_reader(qtbot, UidCard(bytes.fromhex(UID)), pcscd):
        qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=15_000)
    assert seat.confirm.name.text() == "张三"


def test_a_configured_reader_that_is_not_there_offers_the_typed_way_without_an_error(
    qtbot: QtBot, station: Station, ops: Operations, pcscd: pcscd_service.PrivatePcscd
) -> None:
    reader = PcscCardReader("no such reader")  # e.g. the seat's reader was unplugged
    seat = SeatScreen(station, ops)
    seat.show()
    seat.set_card_reader(reader)
    seat.activate()
    try:
        qtbot.waitUntil(lambda: "读卡器暂不可用" in seat.login.hint.text(), timeout=15_000)
        assert not seat.login.card.isVisible()  # no "tap your card" when nothing would read it
        assert seat.login.error.text() == ""  # and no error for the candidate
        assert seat.login.login.isEnabled()
    finally:
        seat.stop()
        qtbot.waitUntil(lambda: seat.watch is None or not seat.watch._in_flight, timeout=15_000)
        reader.close()
        seat.close()
        seat.deleteLater()

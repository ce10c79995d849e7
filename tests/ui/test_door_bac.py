"""A passport at the door through the real PC/SC stack: a private pcscd with a vpcd reader and
the in-tree eMRTD chip emulator. The chip needs its MRZ data (BAC key); the roster does not
carry it, so the door asks for it and the invigilator types or scans it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.core.checkin import CheckInDesk
from examkiosk.core.face_check import FaceService
from examkiosk.core.roster import Candidate, all_candidates
from examkiosk.core.station import Station
from examkiosk.ui.door.camera_feed import CameraFeed
from examkiosk.ui.door.screen import DoorScreen
from examkiosk.ui.i18n import set_language
from examkiosk.ui.ops import Operations
from hardware.cards.document import DocumentType, ReadingMethod
from hardware.cards.pcsc import PcscCardReader, list_readers
from hardware.sim import pcscd_service
from hardware.sim.emrtd_card import EmrtdCard, Passport, issue_passport, make_pki
from hardware.sim.vpcd import VpcdSlot

NUMBER = "E12345678"  # the passport the candidate registered with


@pytest.fixture(scope="module")
def pcscd() -> Iterator[pcscd_service.PrivatePcscd]:
    try:
        service = pcscd_service.shared()
    except pcscd_service.PcscdBusy as exc:
        pytest.skip(f"the passport door tests need their own pcscd: {exc}")
    except pcscd_service.PcscdMissing as exc:
        pytest.skip(f"the passport door tests need pcscd and vpcd: {exc}")
    yield service
    pcscd_service.release()


@pytest.fixture(scope="module")
def passport() -> Passport:
    return issue_passport(pki=make_pki(), number=NUMBER, photo_bytes=8_000)


@pytest.fixture
def candidate(station: Station) -> Candidate:
    """A roster entry registered with the passport's number (a foreign candidate)."""
    first = all_candidates(station.store)[0]
    with station.store.transaction() as conn:
        conn.execute(
            "UPDATE candidates SET id_number = ? WHERE candidate_id = ?",
            (NUMBER, first.candidate_id),
        )
    return first


@pytest.fixture
def door(
    qtbot: QtBot,
    station: Station,
    ops: Operations,
    face_service: FaceService,
    pcscd: pcscd_service.PrivatePcscd,
    candidate: Candidate,
) -> Iterator[DoorScreen]:
    feed = CameraFeed(None)
    reader = PcscCardReader(pcscd.readers[0])
    screen = DoorScreen(station, ops, lambda: CheckInDesk(station, face_service), feed, reader)
    qtbot.addWidget(screen)
    screen.resize(1366, 700)
    screen.show()
    screen.activate()
    qtbot.waitUntil(screen.ready, timeout=30_000)
    yield screen
    screen.stop()
    reader.close()
    feed.close()


@contextmanager
def presented(
    qtbot: QtBot, passport: Passport, pcscd: pcscd_service.PrivatePcscd
) -> Iterator[None]:
    """The passport on the reader, then taken away; returns once pcscd has seen it go (a
    fresh read of a card vpcd has not yet noticed is gone leaves vpcd refusing new cards)."""
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        yield
    qtbot.waitUntil(lambda: list_readers()[0].state == "empty", timeout=5_000)


def wait_for_key_request(qtbot: QtBot, door: DoorScreen) -> None:
    qtbot.waitUntil(door.mrz.isVisible, timeout=15_000)
    assert "护照" in door.status.text()  # "this is a passport chip: ... needs ..."


def type_mrz(qtbot: QtBot, door: DoorScreen, text: str) -> None:
    door.mrz.field.clear()
    qtbot.keyClicks(door.mrz.field, text)
    qtbot.mouseClick(door.mrz.ok, Qt.MouseButton.LeftButton)


def test_passport_is_read_after_the_scanned_mrz_and_the_candidate_is_found(
    qtbot: QtBot,
    door: DoorScreen,
    pcscd: pcscd_service.PrivatePcscd,
    passport: Passport,
    candidate: Candidate,
) -> None:
    assert not door.mrz.isVisible()  # no box until a passport asks for it
    with presented(qtbot, passport, pcscd):
        wait_for_key_request(qtbot, door)
        type_mrz(qtbot, door, passport.mrz[44:])  # the lower MRZ line, as a scanner sends it
        qtbot.waitUntil(lambda: door.verdict.prepared is not None, timeout=30_000)
    prepared = door.verdict.prepared
    assert prepared is not None
    document = prepared.assessment.document
    assert document.doc_type == DocumentType.PASSPORT
    assert document.reading_method == ReadingMethod.PCSC_EMRTD_BAC
    assert document.number == NUMBER and document.name == "ZHANG WEI"
    assert prepared.assessment.candidate.candidate_id == candidate.candidate_id
    assert not door.mrz.isVisible()  # the box goes away once the chip is read
    # The chip's checks are said in words: no CSCA list here, so not "passed".
    assert document.checks
    assert "CSCA" in door.verdict.checks.text()


def test_wrong_mrz_shows_access_denied_and_the_right_one_then_reads(
    qtbot: QtBot, door: DoorScreen, pcscd: pcscd_service.PrivatePcscd, passport: Passport
) -> None:
    with presented(qtbot, passport, pcscd):
        wait_for_key_request(qtbot, door)
        type_mrz(qtbot, door, f"{NUMBER},1990-01-15,2035-01-01")  # wrong expiry
        qtbot.waitUntil(lambda: "芯片拒绝访问" in door.status.text(), timeout=15_000)
        assert door.mrz.isVisible()  # the invigilator can correct it at once
        assert "芯片拒绝访问" in door.mrz.feedback.text()
        assert door.verdict.prepared is None
        type_mrz(qtbot, door, f"{NUMBER},1990-01-15,2034-01-01")
        qtbot.waitUntil(lambda: door.verdict.prepared is not None, timeout=30_000)
    prepared = door.verdict.prepared
    assert prepared is not None and prepared.assessment.document.number == NUMBER


def test_mistyped_or_misscanned_mrz_is_refused_before_touching_the_chip(
    qtbot: QtBot, door: DoorScreen, passport: Passport
) -> None:
    set_language("en")
    door.mrz.ask()
    bad_check_digit = passport.mrz[44:53] + "0" + passport.mrz[54:88]
    if passport.mrz[53] == "0":
        bad_check_digit = passport.mrz[44:53] + "1" + passport.mrz[54:88]
    entered: list[object] = []
    door.mrz.key_entered.connect(entered.append)
    type_mrz(qtbot, door, bad_check_digit)
    assert "check digits" in door.mrz.feedback.text()
    type_mrz(qtbot, door, "E123,1990")
    assert "DOCNO,BIRTH,EXPIRY" in door.mrz.feedback.text()
    assert entered == []

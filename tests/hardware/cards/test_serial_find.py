"""Finding the resident-ID reader among serial ports by USB ids: only ports with a known
bridge id are asked, and only the one that answers GA/T 467 frames is taken. The ports are
real pseudo-terminals (one with the reader emulator, one silent); their USB ids are what
pyserial would report for a CH340 and a PL2303 adapter."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from serial.tools.list_ports_common import ListPortInfo

from hardware.cards.errors import SerialReaderError
from hardware.cards.factory import open_reader
from hardware.cards.gat467 import Gat467Reader
from hardware.cards.serial_find import find_gat467_port, parse_usb_ids, usb_serial_candidates
from hardware.sim.gat467_emulator import Gat467Emulator, resident_text


def _port(device: str, vid: int | None, pid: int | None) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid = vid, pid
    return info


@pytest.fixture
def silent_pty() -> Iterator[str]:
    master, slave = os.openpty()
    yield os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_the_answering_reader_is_found_among_bridges(silent_pty: str) -> None:
    with Gat467Emulator() as emulator:
        ports = [
            _port(silent_pty, 0x067B, 0x2303),  # PL2303 adapter, nothing behind it
            _port(emulator.port, 0x1A86, 0x7523),  # CH340: the reader
            _port("/dev/ttyS0", None, None),  # a built-in port: never written to
        ]
        found = find_gat467_port(ports=ports)
        assert found == emulator.port
        bridges = {c.bridge for c in usb_serial_candidates(ports=ports)}
        assert bridges == {"Prolific PL2303", "WCH CH340"}
        emulator.place(resident_text())
        reader = Gat467Reader(found, frame_timeout=0.5, poll_interval=0.05)
        try:
            doc = reader.read(2)
        finally:
            reader.close()
    assert doc is not None and doc.name == "张伟"


def test_an_unlisted_bridge_needs_its_id_configured() -> None:
    with Gat467Emulator() as emulator:
        ports = [_port(emulator.port, 0x1234, 0x5678)]
        with pytest.raises(SerialReaderError) as info:
            find_gat467_port(ports=ports)
        assert "known reader USB id" in info.value.detail
        assert "USB" in info.value.en and info.value.zh
        assert find_gat467_port(parse_usb_ids("1234:5678"), ports=ports) == emulator.port


def test_no_answer_names_the_ports_tried(silent_pty: str) -> None:
    with pytest.raises(SerialReaderError) as info:
        find_gat467_port(ports=[_port(silent_pty, 0x10C4, 0xEA60)])
    assert silent_pty in info.value.detail and "10c4:ea60" in info.value.detail


def test_bad_usb_id_configuration_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="VID:PID"):
        open_reader("gat467", {"port": "auto", "usb_ids": "1a86"})

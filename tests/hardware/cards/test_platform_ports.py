"""Serial ports and the PC/SC service as each system names them (pure parts; the Windows
service query is a thin ctypes wrapper that has not run on Windows)."""

from __future__ import annotations

import struct
from pathlib import Path

from hardware.cards.pcsc_service import SERVICE_RUNNING, pcscd_in_proc, service_state
from hardware.cards.serial_find import (
    example_port,
    port_order,
    port_present,
    usb_serial_candidates,
)


class Port:
    def __init__(self, device: str, vid: int | None, pid: int | None) -> None:
        self.device, self.vid, self.pid = device, vid, pid


def test_windows_com_ports_are_matched_without_case_or_device_prefix() -> None:
    listed = ["COM1", "COM3", "COM12"]
    assert port_present("COM3", listed, "win32")
    assert port_present("com3", listed, "win32")
    assert port_present("\\\\.\\COM12", listed, "win32")
    assert not port_present("COM4", listed, "win32")
    assert not port_present("COM1", [], "win32")


def test_linux_ports_are_device_paths_that_exist(tmp_path: Path) -> None:
    (tmp_path / "reader-1").symlink_to("/dev/null")  # as udev's /dev/examkiosk/reader-1
    assert port_present(str(tmp_path / "reader-1"), [], "linux")
    assert not port_present(str(tmp_path / "reader-2"), [], "linux")


def test_candidates_come_in_number_order_on_both_systems() -> None:
    ch340, cp210x = (0x1A86, 0x7523), (0x10C4, 0xEA60)
    windows = [Port("COM10", *ch340), Port("COM3", *cp210x), Port("COM1", None, None)]
    assert [c.device for c in usb_serial_candidates(ports=windows)] == ["COM3", "COM10"]
    linux = [Port("/dev/ttyUSB10", *ch340), Port("/dev/ttyUSB2", *ch340)]
    assert [c.device for c in usb_serial_candidates(ports=linux)] == [
        "/dev/ttyUSB2",
        "/dev/ttyUSB10",
    ]
    assert sorted(["ttyS", "COM2"], key=port_order) == ["COM2", "ttyS"]


def test_messages_name_a_port_the_way_the_system_does() -> None:
    assert example_port("win32") == "COM3"
    assert example_port("linux") == "/dev/ttyUSB0"


def test_windows_smart_card_service_state() -> None:
    # SERVICE_STATUS: type WIN32_SHARE_PROCESS (0x20), state, controls accepted, 4 more DWORDs.
    running = struct.pack("<7I", 0x20, SERVICE_RUNNING, 0x5, 0, 0, 0, 0)
    stopped = struct.pack("<7I", 0x20, 1, 0, 0, 0, 0, 0)
    assert service_state(running) == SERVICE_RUNNING
    assert service_state(stopped) == 1
    assert service_state(b"") is None  # the service manager could not be asked


def test_pcscd_is_found_by_its_proc_entry(tmp_path: Path) -> None:
    for pid, comm in [("1", "systemd"), ("412", "pcscd"), ("self", "python3")]:
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "comm").write_text(comm + "\n")
    assert pcscd_in_proc(tmp_path)
    (tmp_path / "412" / "comm").write_text("sshd\n")
    assert not pcscd_in_proc(tmp_path)
    assert not pcscd_in_proc(tmp_path / "no-proc")  # no /proc at all: not running, no error

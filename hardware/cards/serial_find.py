"""Finding a resident-ID (GA/T 467) reader among the machine's serial ports by USB ids.

Certified readers present as USB-serial devices built on a few bridge chips (listed in
`KNOWN_USB_IDS`; a venue adds others with `extra_ids`). Candidates are the ports whose USB
vendor/product ids match; each is asked FIND CARD, and the first that answers a well-formed
GA/T 467 frame is the reader. Ports with other ids are never written to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware.cards.errors import CardError, SerialReaderError
from hardware.cards.gat467 import FIND_CARD, Gat467Reader

KNOWN_USB_IDS: dict[tuple[int, int], str] = {
    (0x1A86, 0x7523): "WCH CH340",
    (0x1A86, 0x5523): "WCH CH341",
    (0x1A86, 0x55D4): "WCH CH9102",
    (0x067B, 0x2303): "Prolific PL2303",
    (0x10C4, 0xEA60): "Silicon Labs CP210x",
    (0x0403, 0x6001): "FTDI FT232R",
    (0x0403, 0x6015): "FTDI FT231X",
}


def example_port(platform: str) -> str:
    """A serial port name as this system spells them, for messages."""
    return "COM3" if platform == "win32" else "/dev/ttyUSB0"


@dataclass(frozen=True)
class SerialCandidate:
    device: str
    vid: int
    pid: int
    bridge: str


def parse_usb_ids(text: str) -> list[tuple[int, int]]:
    """ "1a86:7523,0403:6001" -> [(0x1A86, 0x7523), ...]; ValueError for a malformed entry."""
    ids = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        vid, sep, pid = item.partition(":")
        if not sep:
            raise ValueError(f"USB id {item!r}: expected VID:PID in hex, e.g. 1a86:7523")
        ids.append((int(vid, 16), int(pid, 16)))
    return ids


def port_order(device: str) -> tuple[str, int, str]:
    """Sort key putting COM2 before COM10 and ttyUSB2 before ttyUSB10 (text order would not)."""
    match = re.fullmatch(r"(.*?)(\d+)", device)
    if match is None:
        return (device, -1, device)
    return (match.group(1), int(match.group(2)), device)


def _windows_port_name(port: str) -> str:
    # "\\.\COM10" is how Win32 opens ports above COM9; pyserial lists them as "COM10".
    return port.removeprefix("\\\\.\\").upper()


def port_present(port: str, listed: Iterable[str], platform: str) -> bool:
    """Whether a configured serial `port` is among the system's `listed` ports.

    Windows names (COM3, \\\\.\\COM12) compare without case or the device prefix; on
    Linux the port is a device path, which may be a udev link (/dev/examkiosk/reader-1) that
    no listing names, so its existence decides (`listed` is not used there)."""
    if platform == "win32":
        wanted = _windows_port_name(port)
        return any(_windows_port_name(name) == wanted for name in listed)
    return Path(port).exists()


def usb_serial_candidates(
    extra_ids: Iterable[tuple[int, int]] = (), ports: Sequence[Any] | None = None
) -> list[SerialCandidate]:
    """Serial ports whose USB ids are a known bridge (or one of `extra_ids`), in port order.

    `ports` defaults to pyserial's `list_ports.comports()` (objects with device, vid, pid).
    """
    if ports is None:
        from serial.tools import list_ports

        ports = list_ports.comports()
    wanted = dict(KNOWN_USB_IDS) | {i: "configured USB id" for i in extra_ids}
    out = []
    for port in sorted(ports, key=lambda p: port_order(str(p.device))):
        key = (port.vid, port.pid)
        if key in wanted:
            out.append(SerialCandidate(str(port.device), int(port.vid), int(port.pid), wanted[key]))
    return out


def answers_gat467(device: str, baud: int = 115200, timeout: float = 0.5) -> bool:
    """Whether `device` answers FIND CARD with a well-formed GA/T 467 frame."""
    probe = Gat467Reader(device, baud, frame_timeout=timeout)
    try:
        probe.exchange(*FIND_CARD)
    except CardError:
        return False
    finally:
        probe.close()
    return True


def find_gat467_port(
    extra_ids: Iterable[tuple[int, int]] = (),
    baud: int = 115200,
    ports: Sequence[Any] | None = None,
) -> str:
    """The device path of the first candidate that answers; SerialReaderError ("check its
    USB cable and power") naming the ports tried, or saying none has a known USB id."""
    candidates = usb_serial_candidates(extra_ids, ports)
    for candidate in candidates:
        if answers_gat467(candidate.device, baud):
            return candidate.device
    tried = ", ".join(f"{c.device} ({c.vid:04x}:{c.pid:04x})" for c in candidates)
    raise SerialReaderError(
        f"no GA/T 467 answer from {tried}"
        if tried
        else "no USB-serial port with a known reader USB id"
    )

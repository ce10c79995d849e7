"""The outage clock's boot id: Linux's kernel id, and Windows' boot instant (wall - monotonic).

The Windows form is exercised here through its pure parts and through the exam engine with a
clock the test moves: each engine computes its boot id from that clock the way `boot_id()`
does on Windows, so a crash, a reboot and a stepped wall clock each meet the real resume path.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from examkiosk.core.boot_id import (
    BOOT_INSTANT_TOLERANCE_MS,
    LINUX_BOOT_ID,
    boot_id,
    boot_id_from_instant,
    same_boot,
)
from examkiosk.core.exam import ExamEngine
from examkiosk.core.station import Station
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock, provision_exam_station


def test_the_boot_instant_is_wall_minus_monotonic() -> None:
    # 2026-11-25 08:00:00 UTC on the wall, 3 h 20 min after the machine started.
    assert boot_id_from_instant(1_795_680_000_000, 12_000_000) == "boot-at:1795668000000"


@pytest.mark.parametrize(
    ("recorded", "current", "same"),
    [
        ("boot-at:1795668000000", "boot-at:1795668000000", True),
        ("boot-at:1795668000000", "boot-at:1795668000016", True),  # one 15.6 ms tick apart
        ("boot-at:1795668000000", f"boot-at:{1795668000000 - BOOT_INSTANT_TOLERANCE_MS}", True),
        (
            "boot-at:1795668000000",
            f"boot-at:{1795668000000 + BOOT_INSTANT_TOLERANCE_MS + 1}",
            False,
        ),
        ("boot-at:1795668000000", "boot-at:1795668045000", False),  # rebooted 45 s later
        ("3b0c7e2a-0c55-4d0e-9a36-1f2d3c4b5a69", "3b0c7e2a-0c55-4d0e-9a36-1f2d3c4b5a69", True),
        ("3b0c7e2a-0c55-4d0e-9a36-1f2d3c4b5a69", "8f1e2d3c-0c55-4d0e-9a36-1f2d3c4b5a69", False),
        ("3b0c7e2a-0c55-4d0e-9a36-1f2d3c4b5a69", "boot-at:1795668000000", False),
        ("boot-at:", "boot-at:", True),  # equal text is the same id, whatever it holds
        ("boot-at:12x", "boot-at:12", False),
    ],
)
def test_same_boot(recorded: str, current: str, same: bool) -> None:
    assert same_boot(recorded, current) is same


def test_this_linux_machine_uses_the_kernels_boot_id() -> None:
    kernel = LINUX_BOOT_ID.read_text().strip()
    assert boot_id() == kernel
    assert uuid.UUID(kernel)


def _windows_boot(clock: FakeClock) -> str:
    """What boot_id() computes on Windows, on the test's clock (wall and monotonic)."""
    wall_ms = round(clock.wall().timestamp() * 1000)
    return boot_id_from_instant(wall_ms, round(clock.monotonic() * 1000))


def _resumed(station: Station) -> dict[str, object]:
    rows = station.store.query(
        "SELECT payload_json FROM events WHERE type = 'attempt.resumed' ORDER BY rowid"
    )
    return dict(json.loads(rows[-1][0]))


@pytest.fixture
def seat(tmp_path: Path, clock: FakeClock) -> Iterator[Station]:
    station = provision_exam_station(tmp_path / "seat", clock, settings={"outage_policy": "count"})
    yield station
    station.close()


def test_windows_a_crash_within_one_boot_is_measured_on_the_monotonic_clock(
    seat: Station, clock: FakeClock
) -> None:
    ExamEngine(seat, boot=_windows_boot(clock)).login(TICKET, ID_NUMBER)
    clock.advance(40)  # the window crashed; it is running again 40 s later
    clock.jump_wall(timedelta(milliseconds=16))  # the two clocks read one Windows tick apart
    resumed = ExamEngine(seat, boot=_windows_boot(clock)).login(TICKET, ID_NUMBER)
    assert resumed.elapsed_ms == 40_000
    assert (_resumed(seat)["basis"], _resumed(seat)["outage_ms"]) == ("monotonic", 40_000)


def test_windows_a_reboot_is_measured_on_the_wall_clock(seat: Station, clock: FakeClock) -> None:
    ExamEngine(seat, boot=_windows_boot(clock)).login(TICKET, ID_NUMBER)
    clock.advance(100)  # power cut; Windows starts again and the monotonic clock with it
    clock.mono = 30.0
    resumed = ExamEngine(seat, boot=_windows_boot(clock)).login(TICKET, ID_NUMBER)
    assert resumed.elapsed_ms == 100_000
    assert (_resumed(seat)["basis"], _resumed(seat)["outage_ms"]) == ("wall", 100_000)


def test_windows_a_wall_clock_stepped_during_the_outage_falls_back_to_the_wall(
    seat: Station, clock: FakeClock
) -> None:
    """The documented cost of having no kernel boot id: a step beyond the tolerance between
    crash and restart makes the restart look like a new boot, so the wall measures it."""
    ExamEngine(seat, boot=_windows_boot(clock)).login(TICKET, ID_NUMBER)
    clock.advance(40)
    clock.jump_wall(timedelta(seconds=-30))  # w32time corrected a fast clock meanwhile
    resumed = ExamEngine(seat, boot=_windows_boot(clock)).login(TICKET, ID_NUMBER)
    assert _resumed(seat)["basis"] == "wall"
    assert resumed.elapsed_ms == 10_000  # 40 s on the wall, less the 30 s step

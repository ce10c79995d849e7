"""Which boot of the machine this is: the outage clock trusts monotonic deltas only within one.

A resumed attempt measures its outage on `time.monotonic()` when the recorded boot and this
one are the same (immune to wall-clock changes), and on the wall clock otherwise (the only
clock that survives a reboot). So a boot id must change whenever the monotonic clock may have
restarted, and should stay the same while it has not.

- Linux: the kernel's `/proc/sys/kernel/random/boot_id`, a random UUID per boot.
- Elsewhere (Windows): there is no such id, so the boot is identified by the moment it began
  on the wall clock, `wall - monotonic` ("boot-at:<ms>"). On Windows `time.monotonic()`
  counts from system start (GetTickCount64 up to Python 3.12, QueryPerformanceCounter from
  3.13), so that moment is constant within a boot and moves at every restart. Two ids are the
  same boot when their moments agree within `BOOT_INSTANT_TOLERANCE_MS` (`same_boot`).
  This is self-checking: equal moments mean wall and monotonic advanced together since the
  attempt was last saved, so the monotonic delta is right. Whatever breaks that agreement (a
  real reboot, a hibernation the monotonic clock did not count, a wall clock stepped by more
  than the tolerance) yields a different boot and the wall-clock measure, which is what any
  non-Linux machine got before this module existed.
"""

from __future__ import annotations

import re
import sys
import time
from functools import lru_cache
from pathlib import Path

LINUX_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
# Far above the clocks' granularity (15.6 ms on Windows) and the slewing NTP does within one
# boot; far below any reboot (power-off plus start-up takes tens of seconds).
BOOT_INSTANT_TOLERANCE_MS = 2_000
_INSTANT = re.compile(r"boot-at:(-?\d{1,20})")


def boot_id_from_instant(wall_ms: int, mono_ms: int) -> str:
    """The id of the boot that began at wall time `wall_ms - mono_ms` (epoch milliseconds)."""
    return f"boot-at:{wall_ms - mono_ms}"


def _instant(boot: str) -> int | None:
    match = _INSTANT.fullmatch(boot)
    return int(match.group(1)) if match else None


def same_boot(recorded: str, current: str) -> bool:
    """Whether `recorded` (stored with an attempt) and `current` name the same boot.

    Kernel ids compare exactly, two "boot-at" ids within the tolerance; a kernel id never
    matches a "boot-at" one (a store moved between machines is a new boot)."""
    if recorded == current:
        return True
    then, now = _instant(recorded), _instant(current)
    return then is not None and now is not None and abs(then - now) <= BOOT_INSTANT_TOLERANCE_MS


def _linux_boot_id() -> str | None:
    try:
        text = LINUX_BOOT_ID.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


@lru_cache(maxsize=1)
def boot_id() -> str:
    """This boot's id (see the module's docstring); computed once per process."""
    if sys.platform.startswith("linux"):
        kernel = _linux_boot_id()
        if kernel is not None:
            return kernel
        # No /proc (a locked-down container): Linux's monotonic clock also starts at boot.
    return boot_id_from_instant(time.time_ns() // 1_000_000, time.monotonic_ns() // 1_000_000)

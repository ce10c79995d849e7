"""A private pcscd (with a vpcd reader on a free port) for this directory's tests.

Started once per session through `hardware.sim.pcscd_service` and stopped at the end. If a
pcscd is already running on this machine (only one can run at a time) or pcscd/vpcd are not
installed, the PC/SC tests fail and say why: no silent skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.sim import pcscd_service
from hardware.sim.emrtd_card import DemoPki, make_pki

REPO = Path(__file__).resolve().parents[3]
FACES = REPO.parent / "shared" / "testdata" / "faces"


@pytest.fixture(scope="session")
def pcscd() -> Iterator[pcscd_service.PrivatePcscd]:
    try:
        service = pcscd_service.shared()
    except pcscd_service.PcscdBusy as exc:
        pytest.fail(
            f"PC/SC tests need their own pcscd: {exc}. Stop it (e.g. `systemctl stop pcscd.socket pcscd`) and rerun."
        )
    except pcscd_service.PcscdMissing as exc:
        pytest.fail(f"PC/SC tests: {exc}")
    yield service
    pcscd_service.release()


@pytest.fixture(scope="session")
def pki() -> DemoPki:
    return make_pki()


@pytest.fixture(scope="session")
def face_jpeg() -> bytes:
    path = FACES / "edge" / "obama_240p.jpg"
    if not path.exists():
        pytest.fail(f"test photo not found at {path}")
    return path.read_bytes()

"""One whole inspection: open the station (a store that will not open is itself the first
finding), probe the devices, run the checks, record the `inspection.done` event."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from examkiosk.core.authz import Person
from examkiosk.core.inspection import InspectionReport, inspect_station, record_inspection
from examkiosk.core.station import Station

log = logging.getLogger(__name__)


def run_inspection(
    data_dir: Path,
    passphrase_file: Path | None = None,
    *,
    devices: bool = True,
    station: Station | None = None,
    authorize: Callable[[Station], Person] | None = None,
    person: Person | None = None,
) -> InspectionReport:
    """With `station` (the window's, already open) it is used and left open; otherwise the
    station is opened here (OS key store, $EXAMKIOSK_PASSPHRASE, file, prompt) and closed.
    `authorize` names who inspects (a technician or venue administrator) once the store is
    open; a store that does not open is reported without it (the passphrase opened nothing)."""
    from examkiosk.app.inspect_devices import device_findings
    from examkiosk.app.unlock import not_provisioned, open_for_cli
    from examkiosk.store.layout import DataDir

    own = station is None
    problem = ""
    if own:
        if not DataDir(data_dir).exists():
            raise not_provisioned(data_dir)
        try:
            station = open_for_cli(data_dir, passphrase_file)
        except Exception as exc:  # a store that will not open is what the report must say
            log.warning("inspection: the store does not open: %s", type(exc).__name__)
            problem = str(getattr(exc, "en", "") or exc)
            station = None
    try:
        if station is not None and authorize is not None:
            person = authorize(station)
        mode = station.identity.mode if station is not None else "door"
        found = device_findings(station, mode) if devices else []
        report = inspect_station(station, data_dir, device_findings=found, open_problem=problem)
        if station is not None:
            report = record_inspection(station, report, person)
        return report
    finally:
        if own and station is not None:
            station.close()

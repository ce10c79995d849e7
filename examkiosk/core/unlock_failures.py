"""Failed attempts to open a locked station, kept until they can be audited.

A wrong passphrase or staff password cannot be recorded in a store it failed to open, so it
is noted in a small plaintext file beside the store (time and the staff number typed, never
the secret) and moved into the outbox as `audit.unlock_failed` at the next opening.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from examkiosk.core.authz import audit
from examkiosk.core.station import Station
from examkiosk.store.atomic import write_atomic
from examkiosk.store.layout import DataDir

log = logging.getLogger(__name__)

FILE_NAME = "unlock-failures.json"
KEEP = 200  # the newest entries; older ones are counted, not listed


def _read(layout: DataDir) -> dict[str, object]:
    path = layout.root / FILE_NAME
    try:
        document = json.loads(path.read_text())
        if isinstance(document, dict) and isinstance(document.get("entries"), list):
            return document
    except (OSError, ValueError):
        pass
    return {"entries": [], "dropped": 0}


def note(layout: DataDir, who: str) -> None:
    document = _read(layout)
    entries = list(document["entries"])  # type: ignore[call-overload]
    entries.append({"at": datetime.now(UTC).isoformat(timespec="seconds"), "who": who[:32]})
    dropped = int(document.get("dropped", 0)) + max(0, len(entries) - KEEP)  # type: ignore[call-overload]
    try:
        write_atomic(
            layout.root / FILE_NAME,
            json.dumps({"entries": entries[-KEEP:], "dropped": dropped}).encode(),
        )
    except OSError:
        log.warning("could not note a failed unlock", exc_info=True)


def flush(layout: DataDir, station: Station) -> int:
    """Audit the noted failures in the opened station, then forget them; returns how many."""
    path = layout.root / FILE_NAME
    if not path.exists():
        return 0
    document = _read(layout)
    entries = list(document["entries"])  # type: ignore[call-overload]
    with station.store.transaction() as conn:
        for entry in entries:
            audit(
                station,
                conn,
                None,
                "unlock_failed",
                {"at": entry.get("at"), "staff_number": entry.get("who")},
            )
        if document.get("dropped"):
            audit(station, conn, None, "unlock_failed", {"dropped": document["dropped"]})
    path.unlink(missing_ok=True)
    return len(entries)

"""What the centre flags per sitting about how candidates got in and where their attempts went.

Read from the events stations sent (pure rules over their payloads, no I/O beyond one query):

- `manual_checkins`: check-ins whose ID was typed in, not read from the card;
- `device_checkins`: check-ins on a simulated card reader or camera (a video file), or on a
  camera the station could not name (older stations, no camera, a network stream);
- `against_recommendation`: decisions that went against the station's recommendation;
- `moved_attempts`: attempts that arrived on a station by transfer (.eka), from where;
- `unknown_key_transfers`: transfers signed by a key the centre has not registered for the
  station named in the file (a forged file, or a station re-keyed without telling the centre);
- `simulation_refused`: simulation attempts a real-sitting station refused.

"Submitted without a door check-in" is counted per candidate in report.py.
"""

from __future__ import annotations

import json
from typing import Any

from sync.central.storage import CentralStore

_FLAGGED = """
SELECT COALESCE(sitting_id, ''), station_id, seq, type, COALESCE(candidate_id, ''), payload
FROM events
WHERE type LIKE 'checkin.%' OR type = 'attempt.transferred_in'
   OR type = 'audit.simulation_refused'
ORDER BY 1, 2, 3
"""
KINDS = (
    "manual_checkins",
    "device_checkins",
    "against_recommendation",
    "moved_attempts",
    "unknown_key_transfers",
    "simulation_refused",
)


def _device_problem(payload: dict[str, Any]) -> str | None:
    """Why a check-in's devices are not trusted, or None."""
    if payload.get("reading_method") == "simulated":
        return "simulated card reader"
    camera = payload.get("camera")
    if not isinstance(camera, dict):
        return "camera not recorded"
    if camera.get("simulated") or payload.get("simulated"):
        return f"simulated camera {camera.get('device', '')}".strip()
    device = str(camera.get("device", ""))
    if not device.startswith("/dev/"):
        return f"unknown camera {device or '-'}"
    return None


def _against(payload: dict[str, Any], event_type: str) -> bool:
    if "against_recommendation" in payload:
        return bool(payload["against_recommendation"])
    recommendation = payload.get("recommendation")  # stations before the field existed
    admitted = event_type == "checkin.admitted"
    return (admitted and recommendation != "admit") or (not admitted and recommendation == "admit")


def sitting_flags(store: CentralStore, max_listed: int) -> dict[str, dict[str, Any]]:
    """{sitting_id: {kind: {"count": n, "events": [...at most max_listed]}}}."""
    keys = {s.station_id: s.key_id for s in store.stations()}
    out: dict[str, dict[str, Any]] = {}

    def add(sitting: str, kind: str, item: dict[str, Any]) -> None:
        entry = out.setdefault(sitting, {k: {"count": 0, "events": []} for k in KINDS})[kind]
        entry["count"] += 1
        if len(entry["events"]) < max_listed:
            entry["events"].append(item)

    for sitting, station_id, seq, event_type, candidate_id, text in store.read(_FLAGGED):
        try:
            payload = json.loads(text)
        except ValueError:
            continue
        if not isinstance(payload, dict):
            continue
        base = {
            "station_id": station_id,
            "seq": int(seq),
            "candidate_id": candidate_id or str(payload.get("candidate_id", "")),
            "by": str(payload.get("by", "") or payload.get("invigilator", "")),
        }
        if event_type.startswith("checkin."):
            decision = event_type.split(".", 1)[1]
            if payload.get("method") == "manual":
                add(sitting, "manual_checkins", {**base, "decision": decision})
            problem = _device_problem(payload)
            if problem:
                add(sitting, "device_checkins", {**base, "decision": decision, "why": problem})
            if _against(payload, event_type):
                add(
                    sitting,
                    "against_recommendation",
                    {
                        **base,
                        "decision": decision,
                        "recommendation": payload.get("recommendation"),
                        "reason": str(payload.get("reason", ""))[:200],
                    },
                )
        elif event_type == "attempt.transferred_in":
            source = str(payload.get("from_station", ""))
            key_id = str(payload.get("from_station_key", ""))
            moved = {**base, "from_station": source, "from_key": key_id}
            add(sitting, "moved_attempts", moved)
            if keys.get(source) != key_id:
                add(sitting, "unknown_key_transfers", moved)
        else:
            add(sitting, "simulation_refused", {**base, "what": str(payload.get("what", ""))})
    return out


def empty_flags() -> dict[str, Any]:
    return {k: {"count": 0, "events": []} for k in KINDS}

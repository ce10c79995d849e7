"""The door's overview: how many are expected, admitted, refused, typed by hand, not yet
arrived; and the anomalies the chief invigilator reviews (look-alikes, admissions against
the station's advice, manual entries, liveness failures), from the recorded check-ins.

Read-only over the store: the check-in rows and their `checkin.*` events (the payload keeps
what the station recommended and what the face checks found).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from examkiosk.store.db import Store

KINDS = {
    "lookalike": ("相似人员", "look-alike"),
    "override": ("不按建议放行", "admitted against the advice"),
    "manual": ("手工录入", "typed by hand"),
    "liveness": ("活体未通过", "liveness failed"),
    "refused": ("拒绝入场", "refused"),
}


@dataclass(frozen=True)
class Anomaly:
    kind: str  # a key of KINDS
    at: str  # ISO wall time of the decision
    candidate_id: str
    name: str
    seat: str
    detail: str  # the invigilator's reason, as typed


@dataclass(frozen=True)
class DoorCounts:
    expected: int
    admitted: int
    refused: int
    manual: int
    not_arrived: int


@dataclass(frozen=True)
class DoorOverview:
    counts: DoorCounts
    anomalies: tuple[Anomaly, ...]  # newest first


def door_overview(store: Store, limit: int = 200) -> DoorOverview:
    rows = store.query(
        "SELECT c.candidate_id, c.name, c.seat, ci.decision, ci.method, ci.reason, ci.at "
        "FROM candidates c LEFT JOIN checkins ci USING (candidate_id)"
    )
    expected = len(rows)
    decided = [r for r in rows if r[3]]
    admitted = sum(1 for r in decided if r[3] == "admitted")
    refused = sum(1 for r in decided if r[3] == "refused")
    manual = sum(1 for r in decided if r[4] == "manual")
    counts = DoorCounts(expected, admitted, refused, manual, expected - len(decided))
    people = {str(r[0]): (str(r[1]), str(r[2])) for r in rows}
    anomalies: list[Anomaly] = []
    # Bounded: the overview shows the latest decisions, the audit keeps them all.
    events = store.query(
        "SELECT type, wall_time, payload_json FROM events "
        "WHERE type IN ('checkin.admitted', 'checkin.refused') ORDER BY seq DESC LIMIT ?",
        (limit,),
    )
    for kind_of_event, at, payload_json in events:
        payload = json.loads(payload_json)
        candidate_id = str(payload.get("candidate_id", ""))
        name, seat = people.get(candidate_id, ("", ""))
        reason = str(payload.get("reason", ""))

        kinds = []
        if payload.get("suspects"):
            kinds.append("lookalike")
        if payload.get("liveness") == "not_live":
            kinds.append("liveness")
        if payload.get("method") == "manual":
            kinds.append("manual")
        if (
            kind_of_event == "checkin.admitted"
            and payload.get("recommendation") != "admit"
            and payload.get("method") != "manual"  # listed as manual already
        ):
            kinds.append("override")
        if kind_of_event == "checkin.refused":
            kinds.append("refused")
        anomalies.extend(Anomaly(kind, str(at), candidate_id, name, seat, reason) for kind in kinds)
    return DoorOverview(counts, tuple(anomalies))

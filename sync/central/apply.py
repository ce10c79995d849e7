"""Deciding, for one batch of a station's events, what is new, repeated or suspicious.

Pure logic over what the database already holds around the batch; storage.py runs it inside
the station's write transaction. The rules, in seq order:

- own hash wrong, or another station's event -> refused (never stored as an event);
- seq already held with the same hash -> duplicate (no-op);
- seq already held with another hash -> quarantined ("conflict"); when it links to the held
  event before it, the station's chain restarted from an older point: rollback;
- prev_hash not the hash held at seq-1, or the held seq+1 not linking to it -> quarantined
  ("broken_link"), and the station's history has diverged: rollback;
- prev_hash is the hash of a quarantined event -> quarantined ("follows_quarantined"), so a
  forked tail is never merged piece by piece;
- otherwise accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sync.events import GENESIS_HASH, Event


@dataclass
class Plan:
    accepted: list[Event] = field(default_factory=list)
    duplicates: int = 0
    quarantined: list[tuple[Event, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reason, detail)
    rollback: str = ""  # why the station looks rolled back; "" if it does not


def seqs_needed(events: Sequence[Event]) -> tuple[int, int]:
    """The inclusive seq range whose held rows decide this batch (neighbours included)."""
    seqs = [e.seq for e in events]
    return max(1, min(seqs) - 1), max(seqs) + 1


def plan_batch(
    station_id: str,
    events: Iterable[Event],
    held: Mapping[int, tuple[str, str]],
    quarantined_hashes: Iterable[str] = (),
) -> Plan:
    """Classify `events`; `held` maps seq -> (hash, prev_hash) for the rows around them."""
    plan = Plan()
    known: dict[int, tuple[str, str]] = dict(held)
    tainted = set(quarantined_hashes)

    def quarantine(event: Event, reason: str) -> None:
        plan.quarantined.append((event, reason))
        tainted.add(event.hash)

    for event in sorted(events, key=lambda e: e.seq):
        if event.station_id != station_id:
            plan.refused.append(("wrong_station", f"seq {event.seq} names {event.station_id!r}"))
            continue
        if not event.hash_ok():
            plan.refused.append(("bad_hash", f"seq {event.seq}: hash does not match content"))
            continue
        before = GENESIS_HASH if event.seq == 1 else known.get(event.seq - 1, (None, None))[0]
        if event.seq in known:
            if known[event.seq][0] == event.hash:
                plan.duplicates += 1
            else:
                quarantine(event, "conflict")
                if before is not None and event.prev_hash == before:
                    plan.rollback = plan.rollback or (
                        f"seq {event.seq} arrived again with another hash, continuing from "
                        f"seq {event.seq - 1}: the station's chain restarted from an older point"
                    )
            continue
        if event.prev_hash in tainted:
            quarantine(event, "follows_quarantined")
            continue
        after = known.get(event.seq + 1)
        if (before is not None and event.prev_hash != before) or (
            after is not None and after[1] != event.hash
        ):
            quarantine(event, "broken_link")
            plan.rollback = plan.rollback or (
                f"seq {event.seq} does not link to the held chain: the station's history "
                "differs from what the centre holds"
            )
            continue
        plan.accepted.append(event)
        known[event.seq] = (event.hash, event.prev_hash)
    return plan

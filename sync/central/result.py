"""What one import (an HTTP batch or a USB bundle) did to the central state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.events import GENESIS_HASH


@dataclass(frozen=True)
class ImportResult:
    """Counts of one import plus the station's state after it.

    `accepted` events were new and are now held; `duplicates` were already held (no-op);
    `quarantined` had a seq already held with another hash, or did not link to the held
    chain (never merged); `refused` failed their own hash or named another station.
    `gaps` are the missing seq ranges (inclusive) of the station after this import.
    """

    accepted: int
    duplicates: int
    quarantined: int
    refused: int
    gaps: list[tuple[int, int]]
    station_id: str
    acked_seq: int = 0
    last_hash: str = GENESIS_HASH
    rollback: bool = False
    via: str = ""
    snapshots: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "station_id": self.station_id,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "refused": self.refused,
            "gaps": [[a, b] for a, b in self.gaps],
            "acked_seq": self.acked_seq,
            "last_hash": self.last_hash,
            "rollback": self.rollback,
            "via": self.via,
            "snapshots": self.snapshots,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportResult:
        return cls(
            accepted=int(data["accepted"]),
            duplicates=int(data["duplicates"]),
            quarantined=int(data["quarantined"]),
            refused=int(data["refused"]),
            gaps=[(int(a), int(b)) for a, b in data.get("gaps", [])],
            station_id=str(data["station_id"]),
            acked_seq=int(data.get("acked_seq", 0)),
            last_hash=str(data.get("last_hash", GENESIS_HASH)),
            rollback=bool(data.get("rollback", False)),
            via=str(data.get("via", "")),
            snapshots=int(data.get("snapshots", 0)),
            notes=[str(n) for n in data.get("notes", [])],
        )

"""An opened station: its encrypted store, its identity and keys, its clock.

Every state change goes through `record()` inside a store transaction, so the fact and its
outbox event commit together.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from examkiosk.core.clock import Clock, SystemClock
from examkiosk.core.errors import NotProvisioned
from examkiosk.store import outbox
from examkiosk.store.db import Store
from sync.crypto import KeyPair, PublicKeys
from sync.events import Event


@dataclass(frozen=True)
class StationIdentity:
    station_id: str
    venue_id: str
    mode: str  # "door" | "seat" | "admin"


class Station:
    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        station_id = store.get_meta("station_id")
        if not station_id:
            raise NotProvisioned(
                "本机尚未部署为考点工作站。", "This machine has not been provisioned as a station."
            )
        self.identity = StationIdentity(
            station_id=station_id,
            venue_id=store.get_meta("venue_id") or "",
            mode=store.get_meta("mode") or "door",
        )

    @property
    def station_id(self) -> str:
        return self.identity.station_id

    def keys(self) -> KeyPair:
        # Kept inside the encrypted store: at rest it is as safe as the store itself.
        return KeyPair.from_bytes(bytes.fromhex(self.store.get_meta("station_keys") or ""))

    def central_keys(self) -> PublicKeys:
        return PublicKeys.from_dict(json.loads(self.store.get_meta("central_keys") or "{}"))

    def record(self, conn: Any, type: str, payload: Mapping[str, Any]) -> Event:
        return outbox.append_event(
            conn,
            station_id=self.station_id,
            type=type,
            payload=payload,
            wall_time=self.clock.wall().isoformat(timespec="milliseconds"),
            mono_time=round(self.clock.monotonic(), 6),
        )

    def events(self, after_seq: int = 0, limit: int | None = None) -> list[Event]:
        with self.store.reading() as conn:
            return list(outbox.iter_events(conn, self.station_id, after_seq=after_seq, limit=limit))

    def close(self) -> None:
        self.store.close()

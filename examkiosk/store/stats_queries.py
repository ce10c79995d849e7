"""What the station's statistics read from the store, one function per question."""

from __future__ import annotations

from typing import Any

from examkiosk.store import outbox
from sync.events import Event


def registered_candidates(conn: Any, sitting_id: str | None) -> int:
    """Candidates on the roster (of one sitting, or all)."""
    if sitting_id is None:
        return int(conn.execute("SELECT count(*) FROM candidates").fetchone()[0])
    row = conn.execute("SELECT count(*) FROM candidates WHERE sitting_id = ?", (sitting_id,))
    return int(row.fetchone()[0])


def paper_rows(conn: Any) -> list[tuple[str, str, int, str]]:
    """The paper's items as stored (empty while the paper is sealed)."""
    rows = conn.execute(
        "SELECT item_id, section_id, position, body_json FROM items ORDER BY position"
    ).fetchall()
    return [(str(a), str(b), int(c), str(d)) for a, b, c, d in rows]


def all_events(conn: Any, station_id: str, batch: int = 5000) -> list[Event]:
    """Every event of the station, read in batches."""
    out: list[Event] = []
    after = 0
    while True:
        chunk = list(outbox.iter_events(conn, station_id, after_seq=after, limit=batch))
        if not chunk:
            return out
        out.extend(chunk)
        after = chunk[-1].seq

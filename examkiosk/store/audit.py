"""SQL for reading the audit trail out of the outbox: the events a person caused.

An entry is any event of type `audit.*` and any other event whose payload names the person
who acted (`by`). Filters run in SQL (JSON1) so a venue's whole day stays quick to search.
"""

from __future__ import annotations

from typing import Any


def audit_rows(
    conn: Any,
    *,
    by: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 5000,
) -> list[tuple[int, str, str, str]]:
    """(seq, type, wall_time, payload_json), newest first."""
    sql = (
        "SELECT seq, type, wall_time, payload_json FROM events WHERE "
        "(type LIKE 'audit.%' OR json_extract(payload_json, '$.by') IS NOT NULL)"
    )
    params: list[Any] = []
    if by:
        sql += (
            " AND (json_extract(payload_json, '$.by') = ?"
            " OR json_extract(payload_json, '$.staff_number') = ?)"
        )
        params += [by, by]
    if action:
        sql += " AND (type = ? OR type = ?)"
        params += [action, f"audit.{action}"]
    if since:
        sql += " AND wall_time >= ?"
        params.append(since)
    if until:
        sql += " AND wall_time <= ?"
        params.append(until)
    sql += " ORDER BY seq DESC LIMIT ?"
    params.append(limit)
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in conn.execute(sql, params)]

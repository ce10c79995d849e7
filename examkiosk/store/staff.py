"""SQL for staff accounts and seat sign-in lock-outs: one function per intent.

Rows come back as plain records; the rules (who may, when a lock ends) live in
`examkiosk.core.accounts`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_COLUMNS = (
    "staff_number, name, role, verifier, enrolment_verifier, source, card_uid, disabled, "
    "password_changed_at, failures, last_failure_at, created_at, created_by"
)


@dataclass(frozen=True)
class StaffRow:
    staff_number: str
    name: str
    role: str
    verifier: str
    enrolment_verifier: str
    source: str  # "package" | "local"
    card_uid: str | None
    disabled: bool
    password_changed_at: str | None
    failures: int
    last_failure_at: str | None
    created_at: str
    created_by: str


def _row(values: Any) -> StaffRow:
    return StaffRow(
        str(values[0]),
        str(values[1]),
        str(values[2]),
        str(values[3]),
        str(values[4]),
        str(values[5]),
        values[6],
        bool(values[7]),
        values[8],
        int(values[9]),
        values[10],
        str(values[11]),
        str(values[12]),
    )


def get(conn: Any, staff_number: str) -> StaffRow | None:
    found = conn.execute(
        f"SELECT {_COLUMNS} FROM staff WHERE staff_number = ?", (staff_number,)
    ).fetchone()
    return _row(found) if found else None


def by_card(conn: Any, card_uid: str) -> StaffRow | None:
    found = conn.execute(
        f"SELECT {_COLUMNS} FROM staff WHERE card_uid = ? AND disabled = 0", (card_uid,)
    ).fetchone()
    return _row(found) if found else None


def list_all(conn: Any) -> list[StaffRow]:
    return [
        _row(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM staff ORDER BY role, staff_number")
    ]


def count_active(conn: Any) -> int:
    return int(conn.execute("SELECT count(*) FROM staff WHERE disabled = 0").fetchone()[0])


def insert(conn: Any, row: StaffRow) -> None:
    conn.execute(
        f"INSERT INTO staff ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.staff_number,
            row.name,
            row.role,
            row.verifier,
            row.enrolment_verifier,
            row.source,
            row.card_uid,
            int(row.disabled),
            row.password_changed_at,
            row.failures,
            row.last_failure_at,
            row.created_at,
            row.created_by,
        ),
    )


def update_from_package(
    conn: Any, staff_number: str, *, name: str, role: str, disabled: bool, card_uid: str | None
) -> None:
    """A newer package's view of a person; their own password and lock state stay."""
    conn.execute(
        "UPDATE staff SET name = ?, role = ?, disabled = ?, card_uid = ? WHERE staff_number = ?",
        (name, role, int(disabled), card_uid, staff_number),
    )


def disable_missing_package_staff(conn: Any, keep: Iterable[str]) -> int:
    """Package accounts the newest package no longer lists are disabled, not deleted (the
    audit trail keeps naming them)."""
    numbers = list(keep)
    marks = ",".join("?" * len(numbers)) or "''"
    cursor = conn.execute(
        f"UPDATE staff SET disabled = 1 WHERE source = 'package' AND disabled = 0 "
        f"AND staff_number NOT IN ({marks})",
        numbers,
    )
    return int(cursor.rowcount or 0)


def set_password(conn: Any, staff_number: str, verifier: str, at: str) -> None:
    conn.execute(
        "UPDATE staff SET verifier = ?, enrolment_verifier = '', password_changed_at = ? "
        "WHERE staff_number = ?",
        (verifier, at, staff_number),
    )


def record_failure(conn: Any, staff_number: str, at: str) -> int:
    conn.execute(
        "UPDATE staff SET failures = failures + 1, last_failure_at = ? WHERE staff_number = ?",
        (at, staff_number),
    )
    found = conn.execute(
        "SELECT failures FROM staff WHERE staff_number = ?", (staff_number,)
    ).fetchone()
    return int(found[0]) if found else 0


def reset_failures(conn: Any, staff_number: str) -> None:
    conn.execute(
        "UPDATE staff SET failures = 0, last_failure_at = NULL WHERE staff_number = ?",
        (staff_number,),
    )


def set_disabled(conn: Any, staff_number: str, disabled: bool) -> None:
    conn.execute(
        "UPDATE staff SET disabled = ? WHERE staff_number = ?", (int(disabled), staff_number)
    )


def bind_card(conn: Any, staff_number: str, card_uid: str | None) -> None:
    conn.execute("UPDATE staff SET card_uid = ? WHERE staff_number = ?", (card_uid, staff_number))


# -- seat sign-in lock-outs, per admission ticket --


def seat_failures(conn: Any, ticket: str) -> tuple[int, bool]:
    found = conn.execute(
        "SELECT failures, locked FROM seat_lockouts WHERE ticket = ?", (ticket,)
    ).fetchone()
    return (int(found[0]), bool(found[1])) if found else (0, False)


def record_seat_failure(conn: Any, ticket: str, at: str, lock_at: int) -> tuple[int, bool]:
    conn.execute(
        "INSERT INTO seat_lockouts (ticket, failures, locked, last_failure_at) "
        "VALUES (?, 1, 0, ?) ON CONFLICT(ticket) DO UPDATE SET "
        "failures = failures + 1, last_failure_at = excluded.last_failure_at",
        (ticket, at),
    )
    conn.execute(
        "UPDATE seat_lockouts SET locked = 1 WHERE ticket = ? AND failures >= ?",
        (ticket, lock_at),
    )
    return seat_failures(conn, ticket)


def clear_seat_failures(conn: Any, ticket: str) -> None:
    """Lift the ticket's sign-in lock and its attempt's count of wrong resume codes."""
    conn.execute("DELETE FROM seat_lockouts WHERE ticket = ?", (ticket,))
    conn.execute(
        "UPDATE attempt_runtime SET code_failures = 0 WHERE attempt_id IN ("
        "SELECT a.attempt_id FROM attempts a JOIN candidates c USING (candidate_id) "
        "WHERE c.ticket = ?)",
        (ticket,),
    )


def locked_seats(conn: Any) -> list[str]:
    return [str(r[0]) for r in conn.execute("SELECT ticket FROM seat_lockouts WHERE locked = 1")]

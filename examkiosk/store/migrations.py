"""Schema steps, applied in order, each in its own transaction, recorded in schema_version.

A step is never edited once released: a change is a new step. Tests open stores written by
every earlier step to prove the upgrade path.
"""

from __future__ import annotations

from typing import Any

STEPS: list[str] = [
    # 1: the foundation schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE packages (
        exam_id TEXT PRIMARY KEY, version INTEGER NOT NULL, sitting_id TEXT NOT NULL,
        venue_id TEXT NOT NULL, meta_json TEXT NOT NULL, content_json TEXT NOT NULL,
        imported_at TEXT NOT NULL);
    CREATE TABLE candidates (
        candidate_id TEXT PRIMARY KEY, ticket TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
        id_number TEXT NOT NULL, seat TEXT NOT NULL, sitting_id TEXT NOT NULL,
        photo BLOB, face_encoding BLOB);
    CREATE INDEX candidates_id_number ON candidates(id_number);
    CREATE TABLE checkins (
        candidate_id TEXT PRIMARY KEY REFERENCES candidates(candidate_id),
        decision TEXT NOT NULL, at TEXT NOT NULL, method TEXT NOT NULL,
        doc_type TEXT NOT NULL, reading_method TEXT NOT NULL, passive_auth TEXT NOT NULL,
        face_decision TEXT NOT NULL, face_distance REAL, reason TEXT NOT NULL DEFAULT '',
        invigilator TEXT NOT NULL DEFAULT '', card_uid TEXT);
    CREATE TABLE items (
        item_id TEXT PRIMARY KEY, section_id TEXT NOT NULL, position INTEGER NOT NULL,
        kind TEXT NOT NULL, body_json TEXT NOT NULL);
    CREATE TABLE attempts (
        attempt_id TEXT PRIMARY KEY, candidate_id TEXT NOT NULL UNIQUE
            REFERENCES candidates(candidate_id),
        state TEXT NOT NULL, seed INTEGER NOT NULL, duration_ms INTEGER NOT NULL,
        elapsed_ms INTEGER NOT NULL, started_at TEXT NOT NULL, submitted_at TEXT,
        receipt TEXT);
    CREATE TABLE answers (
        attempt_id TEXT NOT NULL REFERENCES attempts(attempt_id), item_id TEXT NOT NULL,
        answer_json TEXT NOT NULL, saved_at TEXT NOT NULL,
        PRIMARY KEY (attempt_id, item_id));
    CREATE TABLE snapshots (
        snapshot_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, candidate_id TEXT,
        taken_at TEXT NOT NULL, media_type TEXT NOT NULL, data BLOB NOT NULL,
        event_seq INTEGER);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
        wall_time TEXT NOT NULL, mono_time REAL NOT NULL, payload_json TEXT NOT NULL,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
    """,
    # 2: the exam engine's per-attempt runtime (timer session, position, section locks,
    # resume-code counter, transfer generation), flags for review, and transfers
    """
    CREATE TABLE attempt_runtime (
        attempt_id TEXT PRIMARY KEY REFERENCES attempts(attempt_id),
        session_id TEXT NOT NULL DEFAULT '', boot_id TEXT NOT NULL, last_mono REAL NOT NULL,
        last_wall_ms INTEGER NOT NULL, pause_used_ms INTEGER NOT NULL DEFAULT 0,
        outage_ms INTEGER NOT NULL DEFAULT 0, current_item TEXT,
        section_reached INTEGER NOT NULL DEFAULT 0, resumes_used INTEGER NOT NULL DEFAULT 0,
        code_failures INTEGER NOT NULL DEFAULT 0, generation INTEGER NOT NULL DEFAULT 0,
        origin TEXT NOT NULL DEFAULT 'local');
    CREATE TABLE attempt_flags (
        attempt_id TEXT NOT NULL REFERENCES attempts(attempt_id), item_id TEXT NOT NULL,
        PRIMARY KEY (attempt_id, item_id));
    CREATE TABLE attempt_transfers (
        transfer_id INTEGER PRIMARY KEY, attempt_id TEXT NOT NULL, direction TEXT NOT NULL,
        other_station TEXT NOT NULL, generation INTEGER NOT NULL, file_sha256 TEXT NOT NULL,
        at TEXT NOT NULL, invigilator TEXT NOT NULL);
    """,
    # 3 (issue 9): personal staff accounts (from the package or added locally) with their
    # lock-out state, seat sign-in lock-outs per ticket, and settings kept inside the store
    """
    CREATE TABLE staff (
        staff_number TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
        verifier TEXT NOT NULL DEFAULT '', enrolment_verifier TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL, card_uid TEXT, disabled INTEGER NOT NULL DEFAULT 0,
        password_changed_at TEXT, failures INTEGER NOT NULL DEFAULT 0, last_failure_at TEXT,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL DEFAULT '');
    CREATE TABLE seat_lockouts (
        ticket TEXT PRIMARY KEY, failures INTEGER NOT NULL DEFAULT 0,
        locked INTEGER NOT NULL DEFAULT 0, last_failure_at TEXT);
    ALTER TABLE attempt_runtime ADD COLUMN holder_pid INTEGER NOT NULL DEFAULT 0;
    """,
]


def schema_version(conn: Any) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: Any) -> int:
    """Apply every step newer than the store's version; returns the version reached."""
    current = schema_version(conn)
    if current > len(STEPS):
        raise RuntimeError(
            f"store schema {current} is newer than this program knows ({len(STEPS)})"
        )
    for version, script in enumerate(STEPS[current:], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(STEPS)

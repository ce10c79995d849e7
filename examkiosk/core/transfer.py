"""Moving an attempt to a spare station (备用机) on a signed, encrypted file.

File (`.eka`): magic, u32 header length, header (canonical JSON: format, version, source
station and its public keys, exam id, nonce), AES-256-GCM ciphertext of the attempt (key =
HKDF-SHA256 of the package secret, AAD = header), then the source station's Ed25519
signature over everything before it. Only a station holding the same package can read or
make one.

The signature is checked against the station keys the centre lists in the package
(`stations: [{station_id, sign_key}]`), never against the key in the file's own header: a
file signed by any other key is refused, audited, and changes nothing. Duration comes from
the package, the time used is bounded by it, a submitted attempt is never reopened, and both
sides are done by a signed-in invigilator (`attempt.move`) named in the events.

Export freezes the attempt on the source (state "transferred") in the same transaction that
read it, so no answer can be saved there after the snapshot. Import refuses an older or
repeated file (a generation counter travels with the attempt). The time between export and
import is not counted (stations' clocks may disagree); from import on, the spare station's
own clock and the venue's outage policy apply.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from examkiosk.core.authz import Person, audit, require
from examkiosk.core.errors import KioskError, Refused
from examkiosk.core.exam import ExamEngine
from examkiosk.core.package_import import current_exam
from examkiosk.core.resume_codes import package_secret
from examkiosk.core.timing import boot_id
from examkiosk.store.atomic import write_atomic
from sync.crypto import PublicKeys
from sync.events import canonical_json

MAGIC = b"EKATTEMPT1\n"
FORMAT = "examkiosk-attempt-transfer"
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_STATIONS = 5000


class TransferError(KioskError):
    """The transfer file cannot be used (damaged, another exam, already imported...)."""


class UnregisteredSigner(TransferError):
    """The file is not signed by a station the package lists for this venue and exam."""

    def __init__(self, source_station: str, key_id: str) -> None:
        super().__init__(
            "该转移文件不是由本考点登记的考试机签名的，已拒绝，未做任何改动。此次尝试已记录；"
            "请在原考试机重新导出，或联系省考试中心。",
            "This transfer file is not signed by a station registered for this venue and "
            "exam; it was refused and nothing was changed. The attempt has been recorded; "
            "export it again on the original station, or call the exam centre.",
            detail=f"{source_station[:64]} key {key_id[:32]}",
        )
        self.source_station = source_station
        self.key_id = key_id


@dataclass(frozen=True)
class TransferInfo:
    attempt_id: str
    candidate_id: str
    generation: int
    answers: int
    elapsed_ms: int
    source_station: str
    sha256: str


def _key(secret: bytes) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"examkiosk attempt transfer v1"
    )
    return hkdf.derive(secret)


def _damaged(detail: str) -> TransferError:
    return TransferError(
        "转移文件已损坏、被改动或不属于本场考试，无法导入。请在原考试机重新导出。",
        "The transfer file is damaged, altered or not for this exam; it cannot be imported. "
        "Export it again on the original station.",
        detail=detail,
    )


def registered_stations(engine: ExamEngine) -> dict[str, bytes]:
    """{station_id: Ed25519 public key} of the stations the package lists (signed by the
    centre); malformed entries are left out, so they can never sign a transfer."""
    raw = current_exam(engine.station).get("stations")
    found: dict[str, bytes] = {}
    if not isinstance(raw, list):
        return found
    for entry in raw[:MAX_STATIONS]:
        if not isinstance(entry, dict):
            continue
        station_id, key = entry.get("station_id"), entry.get("sign_key")
        if not isinstance(station_id, str) or not isinstance(key, str) or len(key) != 64:
            continue
        try:
            found[station_id] = bytes.fromhex(key)
        except ValueError:
            continue
    return found


def seal(engine: ExamEngine, body: dict[str, Any]) -> bytes:
    station = engine.station
    header = canonical_json(
        {
            "format": FORMAT,
            "version": 1,
            "source_station": station.station_id,
            "station_key": station.keys().public().to_dict(),
            "exam_id": body["exam_id"],
            "nonce": os.urandom(12).hex(),
        }
    )
    nonce = bytes.fromhex(json.loads(header)["nonce"])
    ciphertext = AESGCM(_key(package_secret(station.store))).encrypt(
        nonce, canonical_json(body), header
    )
    unsigned = MAGIC + struct.pack(">I", len(header)) + header + ciphertext
    return unsigned + station.keys().signature(unsigned)


def unseal(engine: ExamEngine, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, body) of a transfer file; TransferError if anything is wrong."""
    if len(data) > MAX_FILE_BYTES or not data.startswith(MAGIC) or len(data) < len(MAGIC) + 80:
        raise _damaged("not a transfer file")
    (length,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    if start + length + 64 + 16 > len(data):
        raise _damaged("truncated")
    header_bytes = data[start : start + length]
    try:
        header = json.loads(header_bytes)
        signer = PublicKeys.from_dict(header["station_key"])
        nonce = bytes.fromhex(header["nonce"])
    except Exception as exc:  # untrusted bytes: any parse failure is "damaged"
        raise _damaged(f"header: {type(exc).__name__}") from exc
    if header.get("format") != FORMAT or header.get("version") != 1:
        raise _damaged("unknown format or version")
    source = header.get("source_station")
    registered = registered_stations(engine).get(source) if isinstance(source, str) else None
    if registered is None or registered != signer.sign:
        raise UnregisteredSigner(str(source), signer.key_id)
    if not PublicKeys(registered, signer.box).verify(data[-64:], data[:-64]):
        raise _damaged("bad signature")
    try:
        plain = AESGCM(_key(package_secret(engine.station.store))).decrypt(
            nonce, data[start + length : -64], header_bytes
        )
    except InvalidTag as exc:
        raise _damaged("not encrypted for this package") from exc
    try:
        body = json.loads(plain)
    except (ValueError, RecursionError) as exc:
        raise _damaged("body is not JSON") from exc
    if not isinstance(body, dict):
        raise _damaged("body is not an object")
    return header, body


def export_attempt(
    engine: ExamEngine, attempt_id: str, path: Path, *, person: Person | None
) -> TransferInfo:
    """Write the attempt to `path` (atomically, read back and checked) and freeze it here;
    `person`, a signed-in invigilator (`attempt.move`), is named in the event.

    A seat still running the attempt is refused from then on (AttemptClosed). Exporting
    again from the frozen state is allowed, for a lost or broken USB stick. A station the
    package does not list is refused before anything changes: its file would be refused.
    """
    who = require(person, "attempt.move")
    invigilator = who.staff_number
    station = engine.station
    if registered_stations(engine).get(station.station_id) != station.keys().public().sign:
        raise TransferError(
            "本机未登记在考试包的考试机名单中，导出的文件不会被其他考试机接受。"
            "请联系省考试中心登记本机并重新下发考试包。",
            "This station is not in the package's list of stations, so no other station "
            "would accept its file. Ask the exam centre to register it and issue the package "
            "again.",
        )
    if engine.holds_session(attempt_id):
        engine.tick(attempt_id)  # the time up to now travels with the attempt
    with station.store.transaction() as conn:
        row = conn.execute(
            "SELECT a.candidate_id, a.state, a.seed, a.duration_ms, a.elapsed_ms, a.started_at, "
            "r.pause_used_ms, r.outage_ms, r.current_item, r.section_reached, r.resumes_used, "
            "r.generation FROM attempts a JOIN attempt_runtime r USING (attempt_id) "
            "WHERE a.attempt_id = ?",
            (attempt_id,),
        ).fetchone()
        if row is None or row[1] not in ("in_progress", "transferred"):
            raise Refused(
                "只有进行中的作答可以转移到备用机。",
                "Only an attempt in progress can be moved to a spare station.",
            )
        answers = {
            r[0]: json.loads(r[1])
            for r in conn.execute(
                "SELECT item_id, answer_json FROM answers WHERE attempt_id = ?", (attempt_id,)
            ).fetchall()
        }
        flags = sorted(
            r[0]
            for r in conn.execute(
                "SELECT item_id FROM attempt_flags WHERE attempt_id = ?", (attempt_id,)
            ).fetchall()
        )
        elapsed = int(
            conn.execute(
                "SELECT elapsed_ms FROM attempts WHERE attempt_id = ?", (attempt_id,)
            ).fetchone()[0]
        )
        generation = int(row[11]) + (1 if row[1] == "in_progress" else 0)
        body = {
            "exam_id": engine.settings().exam_id,
            "attempt_id": attempt_id,
            "candidate_id": row[0],
            "seed": row[2],
            "duration_ms": row[3],
            "elapsed_ms": elapsed,
            "started_at": row[5],
            "pause_used_ms": row[6],
            "outage_ms": row[7],
            "current_item": row[8],
            "section_reached": row[9],
            "resumes_used": row[10],
            "generation": generation,
            "answers": answers,
            "flags": flags,
            "exported_at": station.clock.wall().isoformat(),
            "invigilator": invigilator.strip(),
        }
        data = seal(engine, body)
        write_atomic(path, data, mode=0o600)
        if unseal(engine, path.read_bytes())[1] != json.loads(canonical_json(body)):
            raise _damaged("read-back differs")
        digest = hashlib.sha256(data).hexdigest()
        conn.execute(
            "UPDATE attempts SET state = 'transferred' WHERE attempt_id = ?", (attempt_id,)
        )
        conn.execute(
            "UPDATE attempt_runtime SET generation = ?, session_id = '' WHERE attempt_id = ?",
            (generation, attempt_id),
        )
        conn.execute(
            "INSERT INTO attempt_transfers (attempt_id, direction, other_station, generation, "
            "file_sha256, at, invigilator) VALUES (?, 'out', '', ?, ?, ?, ?)",
            (attempt_id, generation, digest, body["exported_at"], invigilator.strip()),
        )
        station.record(
            conn,
            "attempt.transferred_out",
            {
                "attempt_id": attempt_id,
                "candidate_id": row[0],
                "generation": generation,
                "file_sha256": digest,
                "answers": len(answers),
                "elapsed_ms": elapsed,
                "invigilator": invigilator.strip(),
                **who.describe(),
            },
        )
    return TransferInfo(
        attempt_id, row[0], generation, len(answers), elapsed, station.station_id, digest
    )


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _damaged("too large")
        return path.read_bytes()
    except OSError as exc:
        raise TransferError(
            "无法读取转移文件，请检查U盘。",
            "The transfer file cannot be read; check the USB stick.",
            detail=str(exc),
        ) from exc


def _checked_times(engine: ExamEngine, body: dict[str, Any]) -> dict[str, int]:
    """The attempt's times, bounded by the package: the duration is the package's, never
    the file's; time used, pauses and outages cannot be negative or exceed it."""
    settings = engine.settings()
    for name in ("seed", "elapsed_ms", "pause_used_ms", "outage_ms", "section_reached",
                 "resumes_used"):  # fmt: skip
        # Exact integers within what SQLite holds: no text, floats or booleans (issue 10).
        if type(body[name]) is not int or not 0 <= body[name] <= 2**63 - 1:
            raise ValueError(f"{name} is not a whole number in range")
    times = {
        "duration_ms": settings.duration_ms,
        "elapsed_ms": int(body["elapsed_ms"]),
        "pause_used_ms": int(body["pause_used_ms"]),
        "outage_ms": int(body["outage_ms"]),
        "section_reached": int(body["section_reached"]),
        "resumes_used": int(body["resumes_used"]),
    }
    if times["outage_ms"] > 30 * 24 * 3600 * 1000 or times["resumes_used"] > 10_000:
        raise ValueError("outage or resumes out of range")
    datetime.fromisoformat(str(body["started_at"]))
    if len(body.get("flags", [])) > 10_000:
        raise ValueError("too many flags")
    if not 0 <= times["elapsed_ms"] <= settings.duration_ms:
        raise ValueError("elapsed time outside the package's duration")
    if not 0 <= times["pause_used_ms"] <= settings.policy.pause_limit_ms:
        raise ValueError("pause time outside the package's limit")
    if times["outage_ms"] < 0 or times["resumes_used"] < 0:
        raise ValueError("negative outage or resumes")
    if not 0 <= times["section_reached"] <= len(engine.paper().sections):
        raise ValueError("section outside the paper")
    return times


def import_attempt(engine: ExamEngine, path: Path, *, person: Person | None) -> TransferInfo:
    """Take over an attempt exported by another station of this venue; `person`, a
    signed-in invigilator (`attempt.move`), is named in the event. Nothing changes if it
    is refused; every refusal is audited (`audit.attempt_transfer_refused`)."""
    who = require(person, "attempt.move")
    data = _read(path)
    digest = hashlib.sha256(data).hexdigest()
    try:
        return _import(engine, data, digest, who)
    except TransferError as exc:
        details: dict[str, Any] = {"reason": exc.detail[:200] or type(exc).__name__}
        details["file_sha256"] = digest
        if isinstance(exc, UnregisteredSigner):
            details.update(from_station=exc.source_station[:64], from_station_key=exc.key_id)
        with engine.station.store.transaction() as conn:
            audit(engine.station, conn, person, "attempt_transfer_refused", details)
        raise


def _import(engine: ExamEngine, data: bytes, digest: str, who: Person) -> TransferInfo:
    header, body = unseal(engine, data)
    station = engine.station
    if body.get("exam_id") != engine.settings().exam_id:
        raise _damaged("another exam")
    try:
        attempt_id, candidate_id = str(body["attempt_id"]), str(body["candidate_id"])
        generation = body["generation"]
        if type(generation) is not int or not 1 <= generation <= 1_000_000:
            raise ValueError("generation")
        times = _checked_times(engine, body)
        current = body.get("current_item")
        if current is not None and engine.paper().item(str(current)) is None:
            raise ValueError("current item not in the paper")
        answers = {str(k): [str(x) for x in v] for k, v in dict(body["answers"]).items()}
        paper = engine.paper()
        for item_id, answer in answers.items():
            item = paper.item(item_id)
            if item is None or item.normalize(answer) != sorted(answer):
                raise ValueError(f"answer for {item_id}")
    except (KeyError, TypeError, ValueError) as exc:
        raise _damaged(str(exc)) from exc
    with station.store.transaction() as conn:
        if (
            conn.execute(
                "SELECT 1 FROM candidates WHERE candidate_id = ?", (candidate_id,)
            ).fetchone()
            is None
        ):
            raise _damaged("candidate not on this roster")
        existing = conn.execute(
            "SELECT a.attempt_id, coalesce(r.generation, 0), a.state FROM attempts a LEFT JOIN "
            "attempt_runtime r USING (attempt_id) WHERE a.candidate_id = ?",
            (candidate_id,),
        ).fetchone()
        if existing is not None and existing[2] == "submitted":
            raise TransferError(
                "该考生的作答已在本机交卷，不能再次打开；未做任何改动。",
                "This candidate's attempt was submitted on this station and is never "
                "reopened; nothing was changed.",
                detail="submitted",
            )
        if existing is not None and (existing[0] != attempt_id or existing[1] >= generation):
            raise TransferError(
                "本机已有该考生更新的作答（或该文件已导入过），未做任何改动。",
                "This station already holds this candidate's attempt at the same or a later "
                "stage (or this file was imported before); nothing was changed.",
                detail="stale or repeated",
            )
        if existing is not None:
            for table in ("answers", "attempt_flags", "attempt_runtime"):
                conn.execute(f"DELETE FROM {table} WHERE attempt_id = ?", (attempt_id,))
            conn.execute("DELETE FROM attempts WHERE attempt_id = ?", (attempt_id,))
        now = station.clock.wall()
        conn.execute(
            "INSERT INTO attempts (attempt_id, candidate_id, state, seed, duration_ms, "
            "elapsed_ms, started_at) VALUES (?, ?, 'in_progress', ?, ?, ?, ?)",
            (
                attempt_id,
                candidate_id,
                int(body["seed"]),
                times["duration_ms"],
                times["elapsed_ms"],
                str(body["started_at"]),
            ),
        )
        conn.execute(
            "INSERT INTO attempt_runtime (attempt_id, session_id, boot_id, last_mono, "
            "last_wall_ms, pause_used_ms, outage_ms, current_item, section_reached, "
            "resumes_used, generation, origin) VALUES (?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                attempt_id,
                boot_id(),
                station.clock.monotonic(),
                int(now.timestamp() * 1000),
                times["pause_used_ms"],
                times["outage_ms"],
                body.get("current_item"),
                times["section_reached"],
                times["resumes_used"],
                generation,
                f"transfer:{header['source_station']}",
            ),
        )
        conn.executemany(
            "INSERT INTO answers (attempt_id, item_id, answer_json, saved_at) VALUES (?, ?, ?, ?)",
            [(attempt_id, k, json.dumps(sorted(v)), now.isoformat()) for k, v in answers.items()],
        )
        conn.executemany(
            "INSERT INTO attempt_flags VALUES (?, ?)",
            [(attempt_id, str(f)) for f in body.get("flags", [])],
        )
        conn.execute(
            "INSERT INTO attempt_transfers (attempt_id, direction, other_station, generation, "
            "file_sha256, at, invigilator) VALUES (?, 'in', ?, ?, ?, ?, ?)",
            (
                attempt_id,
                str(header["source_station"]),
                generation,
                digest,
                now.isoformat(),
                who.staff_number,
            ),
        )
        station.record(
            conn,
            "attempt.transferred_in",
            {
                "attempt_id": attempt_id,
                "candidate_id": candidate_id,
                "generation": generation,
                "from_station": header["source_station"],
                "from_station_key": header["station_key"]["key_id"],
                "file_sha256": digest,
                "elapsed_ms": times["elapsed_ms"],
                "answers": answers,
                "invigilator": who.staff_number,
                **who.describe(),
            },
        )
    return TransferInfo(
        attempt_id,
        candidate_id,
        generation,
        len(answers),
        times["elapsed_ms"],
        str(header["source_station"]),
        digest,
    )

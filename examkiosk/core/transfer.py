"""Moving an attempt to a spare station (备用机) on a signed, encrypted file.

File (`.eka`): magic, u32 header length, header (canonical JSON: format, version, source
station and its public keys, exam id, nonce), AES-256-GCM ciphertext of the attempt (key =
HKDF-SHA256 of the package secret, AAD = header), then the source station's Ed25519
signature over everything before it. Only a station holding the same package can read or
make one; the signature names the station that did.

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

from examkiosk.core.errors import KioskError, Refused
from examkiosk.core.exam import ExamEngine
from examkiosk.core.resume_codes import package_secret
from examkiosk.core.timing import boot_id
from examkiosk.store.atomic import write_atomic
from sync.crypto import PublicKeys
from sync.events import canonical_json

MAGIC = b"EKATTEMPT1\n"
FORMAT = "examkiosk-attempt-transfer"
MAX_FILE_BYTES = 64 * 1024 * 1024


class TransferError(KioskError):
    """The transfer file cannot be used (damaged, another exam, already imported...)."""


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
    if not signer.verify(data[-64:], data[:-64]):
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
    engine: ExamEngine, attempt_id: str, path: Path, *, invigilator: str
) -> TransferInfo:
    """Write the attempt to `path` (atomically, read back and checked) and freeze it here.

    A seat still running the attempt is refused from then on (AttemptClosed). Exporting
    again from the frozen state is allowed, for a lost or broken USB stick.
    """
    if not invigilator.strip():
        raise Refused("请填写监考员姓名或工号。", "Enter the invigilator's name or number.")
    station = engine.station
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
            },
        )
    return TransferInfo(
        attempt_id, row[0], generation, len(answers), elapsed, station.station_id, digest
    )


_DAY_MS = 24 * 3600 * 1000
# Each number of a transfer file and its range: checked before anything is written.
_RANGES = {
    "seed": (0, 2**63 - 1),
    "duration_ms": (1, _DAY_MS),
    "elapsed_ms": (0, _DAY_MS),
    "pause_used_ms": (0, _DAY_MS),
    "outage_ms": (0, 30 * _DAY_MS),
    "section_reached": (0, 10_000),
    "resumes_used": (0, 10_000),
}


def _checked_numbers(body: dict[str, Any], generation: int) -> dict[str, int]:
    """The transfer's numbers, each an integer in its range; ValueError naming the first
    that is not (the file is signed by a station, but a bad one must not get half in)."""
    if not 1 <= generation <= 1_000_000:
        raise ValueError("generation out of range")
    numbers: dict[str, int] = {}
    for name, (low, high) in _RANGES.items():
        value = body[name]
        if type(value) is not int or not low <= value <= high:
            raise ValueError(f"{name} out of range")
        numbers[name] = value
    if numbers["elapsed_ms"] > numbers["duration_ms"]:
        raise ValueError("elapsed_ms beyond duration_ms")
    return numbers


def import_attempt(engine: ExamEngine, path: Path, *, invigilator: str) -> TransferInfo:
    """Take over an attempt exported by another station; nothing changes if it is refused."""
    if not invigilator.strip():
        raise Refused("请填写监考员姓名或工号。", "Enter the invigilator's name or number.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TransferError(
            "无法读取转移文件，请检查U盘。",
            "The transfer file cannot be read; check the USB stick.",
            detail=str(exc),
        ) from exc
    header, body = unseal(engine, data)
    station = engine.station
    if body.get("exam_id") != engine.settings().exam_id:
        raise _damaged("another exam")
    try:
        attempt_id, candidate_id = str(body["attempt_id"]), str(body["candidate_id"])
        generation = int(body["generation"])
        answers = {str(k): [str(x) for x in v] for k, v in dict(body["answers"]).items()}
        paper = engine.paper()
        for item_id, answer in answers.items():
            item = paper.item(item_id)
            if item is None or item.normalize(answer) != sorted(answer):
                raise ValueError(f"answer for {item_id}")
        numbers = _checked_numbers(body, generation)
        flags = [str(f) for f in body.get("flags", [])]
        if len(flags) > 10_000:
            raise ValueError("flags")
        current_item = body.get("current_item")
        if current_item is not None and (
            not isinstance(current_item, str) or len(current_item) > 200
        ):
            raise ValueError("current_item")
        started_at = str(body["started_at"])
        datetime.fromisoformat(started_at)
    except (KeyError, TypeError, ValueError) as exc:
        raise _damaged(str(exc)[:200]) from exc
    digest = hashlib.sha256(data).hexdigest()
    with station.store.transaction() as conn:
        if (
            conn.execute(
                "SELECT 1 FROM candidates WHERE candidate_id = ?", (candidate_id,)
            ).fetchone()
            is None
        ):
            raise _damaged("candidate not on this roster")
        existing = conn.execute(
            "SELECT a.attempt_id, coalesce(r.generation, 0) FROM attempts a LEFT JOIN "
            "attempt_runtime r USING (attempt_id) WHERE a.candidate_id = ?",
            (candidate_id,),
        ).fetchone()
        if existing is not None and (existing[0] != attempt_id or existing[1] >= generation):
            raise TransferError(
                "本机已有该考生更新的作答（或该文件已导入过），未做任何改动。",
                "This station already holds this candidate's attempt at the same or a later "
                "stage (or this file was imported before); nothing was changed.",
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
                numbers["seed"],
                numbers["duration_ms"],
                numbers["elapsed_ms"],
                started_at,
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
                numbers["pause_used_ms"],
                numbers["outage_ms"],
                current_item,
                numbers["section_reached"],
                numbers["resumes_used"],
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
            [(attempt_id, f) for f in flags],
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
                invigilator.strip(),
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
                "elapsed_ms": int(body["elapsed_ms"]),
                "answers": answers,
                "invigilator": invigilator.strip(),
            },
        )
    return TransferInfo(
        attempt_id,
        candidate_id,
        generation,
        len(answers),
        int(body["elapsed_ms"]),
        str(header["source_station"]),
        digest,
    )

"""Importing an exam package: verify, decrypt, load roster and paper, encode roster faces.

The whole import is one transaction: a package that fails anywhere leaves the store as it
was. Face encodings are computed before the transaction (the slow part, with progress and
cancel) so the write itself is short.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from examkiosk.core.accounts import load_package_staff, parse_package_staff
from examkiosk.core.authz import Person, require
from examkiosk.core.errors import KioskError, Refused
from examkiosk.core.package_checks import check_package_content, check_paper
from examkiosk.core.station import Station
from examkiosk.store import packages
from sync.package import PackageMeta, open_package, paper_is_sealed, unseal_paper

Progress = Callable[[int, int, str], None]


class FaceEncoder(Protocol):
    def __call__(self, photo: bytes) -> bytes | None: ...


class ImportCancelled(KioskError):
    pass


@dataclass(frozen=True)
class ImportSummary:
    meta: PackageMeta
    candidates: int
    items: int
    faces_encoded: int
    faces_failed: list[str]


def _require(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise KioskError(
            "考试包内容格式不正确，无法导入。请联系省考试中心重新下发。",
            "The exam package content is malformed and cannot be imported. Ask the exam centre "
            "to issue it again.",
            detail=f"{what}: expected {kind.__name__}",
        )
    return value


def _roster_rows(content: Mapping[str, Any], sitting_id: str) -> list[tuple[Any, ...]]:
    rows = []
    for i, c in enumerate(_require(content.get("roster"), list, "roster")):
        _require(c, dict, f"roster[{i}]")
        photo = base64.b64decode(c["photo_b64"]) if c.get("photo_b64") else None
        rows.append(
            (
                str(c["candidate_id"]),
                str(c["ticket"]),
                str(c["name"]),
                str(c["id_number"]).upper(),
                str(c["seat"]),
                sitting_id,
                photo,
            )
        )
    return rows


def _item_rows(paper: Any) -> list[tuple[Any, ...]]:
    _require(paper, dict, "paper")
    rows = []
    position = 0
    for section in _require(paper.get("sections"), list, "paper.sections"):
        for item in _require(section.get("items"), list, "section.items"):
            position += 1
            rows.append(
                (
                    str(item["item_id"]),
                    str(section["section_id"]),
                    position,
                    str(item["kind"]),
                    json.dumps(item, ensure_ascii=False, sort_keys=True),
                )
            )
    return rows


def _section_outline(paper: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Sections without their items: titles and rules (e.g. lock_on_leave) for the seat."""
    return [{k: v for k, v in s.items() if k != "items"} for s in paper.get("sections", [])]


def import_package(
    station: Station,
    data: bytes,
    *,
    face_encoder: FaceEncoder | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    by: Person | None = None,
) -> ImportSummary:
    """Verify and load a package; raises PackageRefused/FormatError/KioskError, changing nothing.

    `by` is the person importing it (a venue administrator, or the recovery passphrase on a
    station that has no accounts yet); their staff number goes into the event."""
    if by is not None:
        require(by, "package.import")
    min_version = packages.highest_version(station.store)
    meta, content = open_package(
        data,
        central=station.central_keys(),
        station=station.keys(),
        venue_id=station.identity.venue_id,
        now=station.clock.wall(),
        min_version=min_version,
    )
    existing = station.store.query("SELECT count(*) FROM attempts")[0][0]
    if existing and meta.version == min_version:
        raise Refused(
            "该考试包已导入，且已有考生开始作答，不再重复导入。",
            "This package is already imported and candidates have started; it is not imported "
            "again.",
        )
    # Every rule first, naming the field: a bad package must change nothing and never reach
    # the door or a seat (a text duration would crash sign-in, a negative one end every exam).
    check_package_content(content, sealed=paper_is_sealed(content))
    try:
        candidates = _roster_rows(content, meta.sitting_id)
        staff = parse_package_staff(content)
        # A sealed paper stays sealed in the store until its password is released at the
        # start of the exam (release_paper); the roster is usable at the door before that.
        sealed = paper_is_sealed(content)
        items = [] if sealed else _item_rows(content.get("paper"))
    except (KeyError, TypeError, ValueError) as exc:
        raise KioskError(
            "考试包内容格式不正确，无法导入。请联系省考试中心重新下发。",
            "The exam package content is malformed and cannot be imported. Ask the exam centre "
            "to issue it again.",
            detail=repr(exc),
        ) from exc

    encodings: dict[str, bytes | None] = {}
    failed: list[str] = []
    total = len(candidates)
    for done, row in enumerate(candidates, start=1):
        if cancelled is not None and cancelled():
            raise ImportCancelled(
                "已取消导入，本机数据未改动。", "Import cancelled; nothing changed."
            )
        encoded = face_encoder(row[6]) if (face_encoder and row[6]) else None
        if face_encoder and row[6] and encoded is None:
            failed.append(row[0])
        encodings[row[0]] = encoded
        if progress:
            progress(done, total, row[0])

    with station.store.transaction() as conn:
        conn.execute("DELETE FROM items")
        conn.execute(
            "DELETE FROM candidates WHERE candidate_id NOT IN "
            "(SELECT candidate_id FROM checkins UNION SELECT candidate_id FROM attempts)"
        )
        conn.executemany(
            "INSERT INTO candidates (candidate_id, ticket, name, id_number, seat, sitting_id, "
            "photo, face_encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(candidate_id) DO UPDATE SET ticket=excluded.ticket, name=excluded.name, "
            "id_number=excluded.id_number, seat=excluded.seat, sitting_id=excluded.sitting_id, "
            "photo=excluded.photo, face_encoding=excluded.face_encoding",
            [row + (encodings[row[0]],) for row in candidates],
        )
        conn.executemany(
            "INSERT INTO items (item_id, section_id, position, kind, body_json) "
            "VALUES (?, ?, ?, ?, ?)",
            items,
        )
        staff_changes = load_package_staff(station, conn, staff)
        exam = {k: v for k, v in content.items() if k not in ("roster", "paper", "staff")}
        if sealed:
            exam["sealed_paper"] = content["paper"]
        else:
            exam["sections"] = _section_outline(content["paper"])
        conn.execute(
            "INSERT INTO packages (exam_id, version, sitting_id, venue_id, meta_json, "
            "content_json, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(exam_id) DO UPDATE SET version=excluded.version, "
            "sitting_id=excluded.sitting_id, meta_json=excluded.meta_json, "
            "content_json=excluded.content_json, imported_at=excluded.imported_at",
            (
                meta.exam_id,
                meta.version,
                meta.sitting_id,
                meta.venue_id,
                json.dumps(meta.__dict__, sort_keys=True),
                json.dumps(exam, ensure_ascii=False, sort_keys=True),
                station.clock.wall().isoformat(),
            ),
        )
        station.record(
            conn,
            "package.imported",
            {
                "exam_id": meta.exam_id,
                "version": meta.version,
                "sitting_id": meta.sitting_id,
                "candidates": len(candidates),
                "items": len(items),
                "paper_sealed": sealed,
                "faces_encoded": sum(1 for v in encodings.values() if v),
                "staff": staff_changes,
                **(by.describe() if by else {}),
            },
        )
    return ImportSummary(
        meta=meta,
        candidates=len(candidates),
        items=len(items),
        faces_encoded=sum(1 for v in encodings.values() if v),
        faces_failed=failed,
    )


def current_exam(station: Station) -> dict[str, Any]:
    """The imported package's exam settings (title, duration, sitting...); {} if none."""
    package = packages.latest(station.store)
    return package.content if package else {}


def paper_sealed(station: Station) -> bool:
    return "sealed_paper" in current_exam(station)


def release_paper(station: Station, password: str, *, by: Person) -> int:
    """Open the sealed paper with the password released at exam start; returns its items.

    Raises WrongPassphrase (nothing changes) for a wrong password; Refused if no sealed
    paper is waiting; NotAllowed unless `by` is a venue administrator.
    """
    require(by, "paper.release")
    rows = station.store.query(
        "SELECT exam_id, content_json FROM packages ORDER BY version DESC LIMIT 1"
    )
    exam = json.loads(rows[0][1]) if rows else {}
    if "sealed_paper" not in exam:
        raise Refused(
            "没有待启封的试卷：试卷已启封或考试包未加密试卷。",
            "No sealed paper is waiting: it is already open or the package did not seal it.",
        )
    paper = unseal_paper({"paper": exam.pop("sealed_paper")}, password)
    check_paper(paper)
    try:
        items = _item_rows(paper)
    except (KeyError, TypeError, ValueError) as exc:
        raise KioskError(
            "试卷内容格式不正确，无法启封。请联系省考试中心。",
            "The paper's content is malformed and cannot be opened. Call the exam centre.",
            detail=repr(exc),
        ) from exc
    exam["sections"] = _section_outline(paper)
    with station.store.transaction() as conn:
        conn.execute("DELETE FROM items")
        conn.executemany(
            "INSERT INTO items (item_id, section_id, position, kind, body_json) "
            "VALUES (?, ?, ?, ?, ?)",
            items,
        )
        conn.execute(
            "UPDATE packages SET content_json = ? WHERE exam_id = ?",
            (json.dumps(exam, ensure_ascii=False, sort_keys=True), rows[0][0]),
        )
        station.record(
            conn,
            "paper.released",
            {
                "exam_id": rows[0][0],
                "items": len(items),
                "invigilator": by.staff_number,
                **by.describe(),
            },
        )
    return len(items)

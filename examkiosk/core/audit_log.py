"""The audit trail as people read it: who did what and when, filtered, exported to XLSX.

Reading the trail is itself a privileged act (`audit.view`) and is audited, as is every
export of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from examkiosk.core.authz import Person, audit, require
from examkiosk.core.station import Station
from examkiosk.store.atomic import write_atomic
from examkiosk.store.audit import audit_rows


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    type: str
    wall_time: str
    by: str
    by_name: str
    by_role: str
    payload: dict[str, Any]

    @property
    def action(self) -> str:
        return self.type.removeprefix("audit.")

    def details(self) -> str:
        hidden = {"by", "by_name", "by_role"}
        return ", ".join(
            f"{k}={v}" for k, v in sorted(self.payload.items()) if k not in hidden and v is not None
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "action": self.action,
            "type": self.type,
            "wall_time": self.wall_time,
            "by": self.by,
            "by_name": self.by_name,
            "by_role": self.by_role,
            "payload": self.payload,
        }


def audit_entries(
    station: Station,
    viewer: Person,
    *,
    by: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 5000,
) -> list[AuditEntry]:
    """The entries matching the filters, newest first; the viewing is audited."""
    require(viewer, "audit.view")
    with station.store.transaction() as conn:
        rows = audit_rows(conn, by=by, action=action, since=since, until=until, limit=limit)
        audit(
            station,
            conn,
            viewer,
            "audit_viewed",
            {"filter": {"by": by, "action": action, "since": since, "until": until}},
        )
    entries = []
    for seq, type_, wall, payload_json in rows:
        payload = json.loads(payload_json)
        entries.append(
            AuditEntry(
                seq,
                type_,
                wall,
                str(payload.get("by") or payload.get("staff_number") or ""),
                str(payload.get("by_name") or ""),
                str(payload.get("by_role") or ""),
                payload,
            )
        )
    return entries


def export_xlsx(station: Station, viewer: Person, entries: list[AuditEntry], out: Path) -> Path:
    """Write `entries` as one formatted sheet; atomic, audited."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    require(viewer, "audit.view")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "审计记录 Audit"
    sheet.append(["序号 seq", "时间 time", "工号 staff", "姓名 name", "角色 role", "操作 action",
                  "详情 details"])  # fmt: skip
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for e in entries:
        sheet.append([e.seq, e.wall_time, e.by, e.by_name, e.by_role, e.action, e.details()])
    for column, width in zip("ABCDEFG", (8, 30, 16, 14, 14, 28, 80), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    import io

    buffer = io.BytesIO()
    book.save(buffer)
    write_atomic(out, buffer.getvalue(), mode=0o600)
    with station.store.transaction() as conn:
        audit(station, conn, viewer, "audit_exported", {"entries": len(entries), "file": out.name})
    return out

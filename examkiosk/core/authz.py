"""Who may do what at a station: the one place that decides, asked by screens and commands.

A privileged act needs a signed-in `Person` whose role the action lists; `require` refuses
anyone else with a message that names the action and the roles that may do it. `audit`
records the act as an outbox event naming the person, inside the caller's transaction, so
the act and its audit entry commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from sync.credentials import STATION_ROLES
from sync.events import Event

INVIGILATOR = "invigilator"
VENUE_ADMIN = "venue_admin"
TECHNICIAN = "technician"

_DOOR = frozenset({INVIGILATOR, VENUE_ADMIN})
_ADMIN = frozenset({VENUE_ADMIN})
_TECH = frozenset({VENUE_ADMIN, TECHNICIAN})

# action -> (roles that may, (zh, en) name of the action for messages and the audit viewer)
ACTIONS: dict[str, tuple[frozenset[str], tuple[str, str]]] = {
    "door.checkin": (_DOOR, ("入口核验", "door check-in")),
    "checkin.override": (
        _DOOR,
        ("违背系统建议的核验决定", "a decision against the recommendation"),
    ),
    "checkin.manual": (_DOOR, ("手工录入证件", "manual entry of an ID")),
    "mode.door": (_DOOR, ("切换到入口核验", "switching to the door")),
    "mode.seat": (_DOOR, ("切换到考生座位", "switching to the seat")),
    "mode.admin": (_DOOR | _TECH, ("切换到考点管理", "switching to administration")),
    "kiosk.close": (_DOOR, ("考试中关闭考试窗口", "closing the window during an exam")),
    "console.open": (_TECH, ("打开技术人员控制台", "opening the technician console")),  # issue 15
    "resume_code.issue": (_DOOR, ("签发续考码", "issuing a resume code")),
    "attempt.move": (_DOOR, ("考生换机（作答转移）", "moving an attempt to another station")),
    "seat.unlock": (_DOOR, ("解除座位登录锁定", "unlocking a seat sign-in")),
    "seat.takeover": (_DOOR, ("在另一座位接续作答", "taking over a running attempt")),
    "incident.acknowledge": (_DOOR, ("处理监考事件", "acknowledging an incident")),
    "roster.view": (_DOOR, ("查看考生名单", "viewing the roster")),
    "paper.release": (_ADMIN, ("启封试卷", "releasing the paper")),
    "package.import": (_ADMIN, ("导入考试包", "importing an exam package")),
    "bundle.export": (_ADMIN, ("导出同步包", "exporting a sync bundle")),
    "sync.settings": (_ADMIN, ("更改同步设置", "changing sync settings")),
    "accounts.manage": (_ADMIN, ("管理本地账号", "managing local accounts")),
    "roster.export": (_ADMIN, ("导出考生名单", "exporting the roster")),
    "audit.view": (_ADMIN, ("查看审计记录", "viewing the audit trail")),
    "stats.view": (_ADMIN, ("查看统计", "viewing statistics")),
    "stats.export": (_ADMIN, ("导出统计", "exporting statistics")),
    "backup.restore": (_ADMIN, ("从备份恢复", "restoring a backup")),
    "update.apply": (_ADMIN, ("安装更新", "applying an update")),
    "simulation.run": (_ADMIN, ("运行模拟（演练）", "running a simulation (rehearsal)")),
    "devices.change": (_TECH, ("更改设备设置", "changing device settings")),
    "inspect.run": (_TECH, ("巡检", "running an inspection")),
    "logs.view": (_TECH, ("查看日志", "viewing logs")),
    "backup.create": (_TECH, ("创建备份", "creating a backup")),
}


@dataclass(frozen=True)
class Person:
    """A member of staff who has signed in (or, in tests, is taken to have)."""

    staff_number: str
    name: str
    role: str

    def describe(self) -> dict[str, str]:
        return {"by": self.staff_number, "by_name": self.name, "by_role": self.role}


# The recovery passphrase's holder, named in the audit trail when it stands in for a venue
# administrator: provisioning a station that has no staff accounts yet, nothing else.
RECOVERY = Person("recovery-passphrase", "恢复口令持有人", "venue_admin")


class NotAllowed(KioskError):
    """The person (or nobody) may not do this; the message says who may."""


def action_name(action: str, lang: str = "zh") -> str:
    entry = ACTIONS.get(action)
    if entry is None:
        return action
    return entry[1][1] if lang == "en" else entry[1][0]


def _roles_text(roles: frozenset[str]) -> tuple[str, str]:
    ordered = [r for r in STATION_ROLES if r in roles]
    return (
        "、".join(STATION_ROLES[r][0] for r in ordered),
        ", ".join(STATION_ROLES[r][1].lower() for r in ordered),
    )


def allowed(person: Person | None, action: str) -> bool:
    entry = ACTIONS.get(action)
    return person is not None and entry is not None and person.role in entry[0]


def require(person: Person | None, action: str) -> Person:
    """The person, if their role may do `action`; else NotAllowed saying who may."""
    entry = ACTIONS.get(action)
    if entry is None:  # a programming error, refused rather than allowed
        raise NotAllowed("未知操作，已拒绝。", "Unknown action; refused.", detail=action)
    roles, (zh, en) = entry
    who_zh, who_en = _roles_text(roles)
    if person is None:
        raise NotAllowed(
            f"“{zh}”需要工作人员登录（{who_zh}）。",
            f"{en[:1].upper()}{en[1:]} needs a member of staff to sign in ({who_en}).",
        )
    if person.role not in roles:
        raise NotAllowed(
            f"“{zh}”只能由{who_zh}操作；{person.name}（{person.staff_number}）没有此权限。",
            f"Only a {who_en} may do this ({en}); {person.name} ({person.staff_number}) may not.",
        )
    return person


def audit(
    station: Station, conn: Any, person: Person | None, action: str, details: Mapping[str, Any]
) -> Event:
    """Record `action` by `person` (None: nobody signed in, e.g. a failed sign-in) as the
    outbox event `audit.<action>`, inside the caller's open transaction."""
    payload: dict[str, Any] = dict(details)
    if person is not None:
        payload.update(person.describe())
    return station.record(conn, f"audit.{action}", payload)

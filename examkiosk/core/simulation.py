"""Whether this station may run simulated devices and simulation commands.

A real sitting must not admit a candidate through a simulated card, a video file in place of
the camera or a command that checks someone in without the door. The only thing that allows
them is the imported package saying the sitting is a rehearsal (考前演练) or a demo: the
package's top-level `sitting_kind`, signed by the centre, so a venue cannot give itself the
permission. A station without a package, or with any other value, is a real sitting.

Every refusal is an audit event (`audit.simulation_refused`) in the station's outbox, so the
centre sees the attempt even though nothing else happened.
"""

from __future__ import annotations

from examkiosk.core.authz import Person, audit
from examkiosk.core.errors import Refused
from examkiosk.core.package_import import current_exam
from examkiosk.core.station import Station

SIMULATION_KINDS = frozenset({"rehearsal", "demo"})
REAL = "exam"


class SimulationRefused(Refused):
    """A simulated device or simulation command on a real sitting."""


def sitting_kind(station: Station) -> str:
    """ "exam", "rehearsal" or "demo" as the imported package says; "exam" when there is no
    package or the value is anything else (the safe reading)."""
    kind = current_exam(station).get("sitting_kind")
    return kind if isinstance(kind, str) and kind in SIMULATION_KINDS else REAL


def simulation_allowed(station: Station) -> bool:
    return sitting_kind(station) in SIMULATION_KINDS


def require_simulation(station: Station, person: Person | None, what: str) -> None:
    """Return if simulation is allowed here; else audit the refusal and raise
    SimulationRefused naming `what` (e.g. "exam simulate", "camera file:clip.avi")."""
    if simulation_allowed(station):
        return
    with station.store.transaction() as conn:
        audit(
            station,
            conn,
            person,
            "simulation_refused",
            {"what": what[:200], "sitting_kind": REAL},
        )
    raise SimulationRefused(
        f"本机为正式考试考点，不允许使用模拟设备或模拟命令（{what}）。"
        "只有考试中心下发的演练或演示考试包才允许模拟。此次尝试已记录。",
        f"This station serves a real sitting: simulated devices and simulation commands "
        f"({what}) are not allowed. Only a rehearsal or demo package from the exam centre "
        "allows them. This attempt has been recorded.",
        detail=what[:200],
    )

"""The centre's report: what each station sent, what is missing, what was held back.

`build_report` returns plain JSON-able data; `render_text` turns it into the administrator's
page. Check-ins are events whose type starts with `checkin.`; submissions are events whose
type ends with `.submitted` or is `submission` (the station's exam engine records
`exam.submitted`). Events are attributed to the sitting named in their payload, else to the
sitting of the bundle or of the station's latest event that named one.
"""

from __future__ import annotations

from typing import Any

from sync.central.report_flags import empty_flags, sitting_flags
from sync.central.storage import CentralStore, gaps_of

_PER_SITTING = """
SELECT COALESCE(sitting_id, ''), candidate_id,
       SUM(CASE WHEN type LIKE 'checkin.%' THEN 1 ELSE 0 END),
       SUM(CASE WHEN type LIKE '%.submitted' OR type = 'submission' THEN 1 ELSE 0 END)
FROM events WHERE candidate_id IS NOT NULL
GROUP BY COALESCE(sitting_id, ''), candidate_id
ORDER BY 1, 2
"""
_RANGES = """
SELECT COALESCE(sitting_id, ''), station_id, COUNT(*), MIN(seq), MAX(seq)
FROM events GROUP BY COALESCE(sitting_id, ''), station_id ORDER BY 1, 2
"""
MAX_LISTED = 200


def build_report(store: CentralStore) -> dict[str, Any]:
    stations = []
    for st in store.stations():
        with store.db.transaction(write=False) as tx:
            gaps = gaps_of(tx, st.station_id) if st.acked_seq < st.highest_seq else []
            quarantined = tx.all(
                "SELECT seq, hash, reason, via, received_at FROM quarantine "
                "WHERE station_id = ? ORDER BY seq, id LIMIT ?",
                (st.station_id, MAX_LISTED),
            )
            q_count = tx.one(
                "SELECT COUNT(*) FROM quarantine WHERE station_id = ?", (st.station_id,)
            )
            refused = tx.all(
                "SELECT reason, COUNT(*), MAX(at), MAX(detail) FROM refused "
                "WHERE station_id = ? GROUP BY reason ORDER BY reason",
                (st.station_id,),
            )
        stations.append(
            {
                "station_id": st.station_id,
                "venue_id": st.venue_id,
                "key_id": st.key_id,
                "events": {
                    "count": st.event_count,
                    "highest_seq": st.highest_seq,
                    "contiguous_seq": st.acked_seq,
                },
                "gaps": [[a, b] for a, b in gaps],
                "quarantined": {
                    "count": int(q_count[0]) if q_count else 0,
                    "events": [
                        {"seq": int(r[0]), "hash": r[1], "reason": r[2], "via": r[3], "at": r[4]}
                        for r in quarantined
                    ],
                },
                "refused": [
                    {"reason": r[0], "count": int(r[1]), "last_at": r[2], "example": r[3]}
                    for r in refused
                ],
                "rollback": st.rollback,
                "rollback_detail": st.rollback_detail,
                "last_received_at": st.last_received_at,
                "sitting_id": st.sitting_id,
            }
        )
    known = {s["station_id"] for s in stations}
    unregistered = [
        {"station_id": r[0], "reason": r[1], "count": int(r[2]), "last_at": r[3]}
        for r in store.read(
            "SELECT station_id, reason, COUNT(*), MAX(at) FROM refused "
            "GROUP BY station_id, reason ORDER BY station_id, reason"
        )
        if r[0] not in known
    ]
    sittings: dict[str, dict[str, Any]] = {}
    for sitting, station_id, count, low, high in store.read(_RANGES):
        entry = sittings.setdefault(
            sitting, {"sitting_id": sitting, "stations": [], "candidates": []}
        )
        entry["stations"].append(
            {"station_id": station_id, "events": int(count), "seq_range": [int(low), int(high)]}
        )
    for sitting, candidate_id, checkins, submissions in store.read(_PER_SITTING):
        entry = sittings.setdefault(
            sitting, {"sitting_id": sitting, "stations": [], "candidates": []}
        )
        entry["candidates"].append(
            {
                "candidate_id": candidate_id,
                "checked_in": int(checkins) > 0,
                "submitted": int(submissions) > 0,
            }
        )
    flags = sitting_flags(store, MAX_LISTED)
    for sitting in flags:
        sittings.setdefault(sitting, {"sitting_id": sitting, "stations": [], "candidates": []})
    for entry in sittings.values():
        candidates = entry["candidates"]
        entry["flags"] = flags.get(entry["sitting_id"], empty_flags())
        entry["flags"]["submitted_without_checkin"] = {
            "count": sum(1 for c in candidates if c["submitted"] and not c["checked_in"]),
            "events": [
                {"candidate_id": c["candidate_id"]}
                for c in candidates
                if c["submitted"] and not c["checked_in"]
            ][:MAX_LISTED],
        }
        entry["summary"] = {
            "candidates": len(candidates),
            "checked_in": sum(1 for c in candidates if c["checked_in"]),
            "submitted": sum(1 for c in candidates if c["submitted"]),
            "submitted_without_checkin": sum(
                1 for c in candidates if c["submitted"] and not c["checked_in"]
            ),
        }
    problems = _problems(stations, unregistered, list(sittings.values()))
    return {
        "database": store.kind,
        "stations": stations,
        "refused_unregistered": unregistered,
        "sittings": [sittings[k] for k in sorted(sittings)],
        "problems": [en for _, en in problems],
        "problems_zh": [zh for zh, _ in problems],
    }


def _problems(
    stations: list[dict[str, Any]],
    unregistered: list[dict[str, Any]],
    sittings: list[dict[str, Any]],
) -> list[tuple[str, str]]:
    """Each problem as (zh, en): the console shows the reader's language, `report` both."""
    out = []
    for sitting in sittings:
        forged = sitting["flags"]["unknown_key_transfers"]
        name = sitting["sitting_id"] or "(unknown)"
        if forged["count"]:
            out.append(
                (
                    f"场次 {name}：{forged['count']} 次考试转移由考试中心不认识的密钥签名",
                    f"sitting {name}: {forged['count']} attempt transfer(s) signed by a key "
                    "the centre does not know",
                )
            )
    for s in stations:
        sid = s["station_id"]
        if s["gaps"]:
            gaps = _ranges(s["gaps"])
            out.append((f"{sid}：缺少事件 {gaps}", f"{sid}: missing events {gaps}"))
        if s["quarantined"]["count"]:
            n = s["quarantined"]["count"]
            out.append((f"{sid}：{n} 条事件被隔离", f"{sid}: {n} events quarantined"))
        if s["rollback"]:
            detail = s["rollback_detail"]
            out.append(
                (
                    f"{sid}：事件链被回退或出现分叉 - {detail}",
                    f"{sid}: chain rolled back or diverged - {detail}",
                )
            )
        for r in s["refused"]:
            out.append(_refused(sid, r))
    for r in unregistered:
        out.append(_refused(r["station_id"] or "?", r))
    return out


def _refused(station_id: str, r: dict[str, Any]) -> tuple[str, str]:
    return (
        f"{station_id}：{r['count']} 次被拒收（{r['reason']}）",
        f"{station_id}: {r['count']} refused ({r['reason']})",
    )


def _ranges(gaps: list[list[int]]) -> str:
    shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in gaps[:10]]
    return ", ".join(shown) + (" ..." if len(gaps) > 10 else "")


def render_text(report: dict[str, Any]) -> str:
    """The report as the administrator reads it on a terminal."""
    lines = [f"Database: {report['database']}", ""]
    lines.append(
        f"{'station':<24}{'venue':<14}{'events':>9}{'highest':>9}{'gaps':>7}{'quar.':>7}  flags"
    )
    for s in report["stations"]:
        flags = "ROLLBACK" if s["rollback"] else ""
        lines.append(
            f"{s['station_id']:<24}{s['venue_id']:<14}{s['events']['count']:>9}"
            f"{s['events']['highest_seq']:>9}{len(s['gaps']):>7}"
            f"{s['quarantined']['count']:>7}  {flags}"
        )
    for sitting in report["sittings"]:
        sm = sitting["summary"]
        lines += [
            "",
            f"Sitting {sitting['sitting_id'] or '(unknown)'}: {len(sitting['stations'])} stations, "
            f"{sm['candidates']} candidates, {sm['checked_in']} checked in, "
            f"{sm['submitted']} submitted",
        ]
        for st in sitting["stations"]:
            low, high = st["seq_range"]
            lines.append(f"  {st['station_id']}: {st['events']} events, seq {low}-{high}")
        lines += _flag_lines(sitting["flags"])
    lines.append("")
    if report["problems"]:
        lines.append("Problems:")
        lines += [f"  - {p}" for p in report["problems"]]
    else:
        lines.append("No problems: every station's events are whole, none held back or refused.")
    return "\n".join(lines)


_FLAG_TITLES = {
    "manual_checkins": "manual check-ins (ID typed in)",
    "device_checkins": "check-ins on simulated or unknown devices",
    "against_recommendation": "decisions against the recommendation",
    "submitted_without_checkin": "submissions without a door check-in",
    "moved_attempts": "attempts moved between stations",
    "unknown_key_transfers": "transfers signed by an unknown key",
    "simulation_refused": "simulation attempts refused",
}


def _flag_lines(flags: dict[str, Any]) -> list[str]:
    lines = []
    for kind, title in _FLAG_TITLES.items():
        found = flags.get(kind, {"count": 0, "events": []})
        if not found["count"]:
            continue
        lines.append(f"  ! {found['count']} {title}")
        for e in found["events"][:5]:
            shown = ", ".join(f"{k}={v}" for k, v in e.items() if v not in ("", None))
            lines.append(f"      {shown}")
    return lines

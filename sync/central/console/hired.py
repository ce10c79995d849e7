"""Hired-gun pairs in the console: the search page and an operator's decision on a pair.

A pair is keyed by its two check-in events ("station:seq|station:seq", the smaller first),
not by its place in a search result, so a decision stays with the pair when the search runs
again (new check-ins arrive, the index is rebuilt) and is shown wherever the pair is listed:
the page, `examkiosk-central hired-guns --json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.central.console import queries
from sync.central.console.facts import CHECKINS
from sync.central.console.queries import HiredGunPair, Snap
from sync.central.console.web import (
    ConsoleContext,
    check_csrf,
    client_of,
    form,
    redirect,
    render,
)
from sync.central.staff import StaffAccounts
from sync.central.storage import CentralStore
from sync.errors import SyncError

KIND = "hired_gun"
# zh, en labels; "confirmed": one person sat for both; "dismissed": two different people.
DECISIONS: dict[str, tuple[str, str]] = {
    "confirmed": ("确认为同一人代考", "confirmed: one person for both"),
    "dismissed": ("排除：不同的人", "dismissed: different people"),
    "unclear": ("待进一步核查", "unclear: needs more checking"),
}
MAX_NOTE = 500
MAX_REVIEWS = 10_000


class ReviewRefused(SyncError):
    """A decision on a pair that cannot be recorded (bad decision, not a pair of check-ins)."""


@dataclass(frozen=True)
class PairReview:
    decision: str
    note: str
    by: str
    at: str


def side_ref(snap: Snap) -> str:
    return f"{snap.station_id}:{snap.seq}"


def pair_key(a: str, b: str) -> str:
    """The pair's key from its two check-ins' "station:seq", whichever order they come in."""
    return "|".join(sorted((a, b)))


def key_of(pair: HiredGunPair) -> str:
    return pair_key(side_ref(pair.a), side_ref(pair.b))


def reviews(store: CentralStore) -> dict[str, PairReview]:
    rows = store.read(
        "SELECT ref, decision, note, by_user, at FROM reviews WHERE kind = ? "
        "ORDER BY at DESC LIMIT ?",
        (KIND, MAX_REVIEWS),
    )
    return {str(r[0]): PairReview(str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows}


def _checkin(store: CentralStore, station_id: str, seq: int) -> str | None:
    rows = store.read(
        "SELECT candidate_id FROM events WHERE station_id = ? AND seq = ? AND type IN (?, ?)",
        (station_id, seq, *CHECKINS),
    )
    return str(rows[0][0] or "") if rows else None


def _ref(text: str) -> tuple[str, int] | None:
    station, sep, seq = text.rpartition(":")
    if not sep or not station or len(station) > 64 or not seq.isdigit() or len(seq) > 18:
        return None
    return station, int(seq)


def mark(
    store: CentralStore,
    accounts: StaffAccounts,
    who: str,
    a: str,
    b: str,
    decision: str,
    note: str,
    client: str = "",
) -> str:
    """Record `who`'s decision on the pair of check-ins `a` and `b` ("station:seq"),
    replacing an earlier one, audited in the same transaction; returns the pair's key.
    Raises ReviewRefused (nothing changed) for an unknown decision or a pair that is not two
    check-ins of different candidates."""
    if decision not in DECISIONS:
        raise ReviewRefused(
            "请选择一个结论：确认、排除或待核查。",
            "Choose a decision: confirmed, dismissed or unclear.",
            detail=decision[:40],
        )
    ra, rb = _ref(a), _ref(b)
    owners = [_checkin(store, *r) if r else None for r in (ra, rb)]
    if None in owners or owners[0] == owners[1]:
        raise ReviewRefused(
            "这不是两位不同考生的一对签到记录，未做任何更改。",
            "These are not check-ins of two different candidates; nothing was changed.",
            detail=f"{a[:80]} {b[:80]}",
        )
    key = pair_key(a, b)
    with store.db.transaction() as tx:
        tx.run("DELETE FROM reviews WHERE kind = ? AND ref = ?", (KIND, key))
        tx.run(
            "INSERT INTO reviews (kind, ref, by_user, at, note, decision) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (KIND, key, who, queries.since(0), note[:MAX_NOTE], decision),
        )
        accounts.record(tx, who, "hired_gun.reviewed", key, decision, client)
    return key


def add_hired_gun_routes(app: FastAPI, ctx: ConsoleContext) -> None:
    @app.get("/console/hired-guns", include_in_schema=False)
    async def hired_guns(request: Request, sitting: str = "") -> Response:
        session = await ctx.guard(request)
        return await _page(request, session, sitting[:64])

    async def _page(
        request: Request,
        session: Any,
        sitting: str,
        status: int = 200,
        error: tuple[str, str] | None = None,
    ) -> Response:
        sittings = await ctx.read(queries.sittings)
        compared, pairs = (0, [])
        if sitting:
            compared, pairs = await ctx.read(queries.hired_guns, sitting)
            await ctx.audit(request, session, "view.hired_guns", sitting)
        decided = await ctx.read(reviews)
        return render(
            request, "hired_guns.html", session, status, sittings=sittings, sitting=sitting,
            compared=compared, pairs=[(p, key_of(p), decided.get(key_of(p))) for p in pairs],
            decisions=DECISIONS, error=error,
        )  # fmt: skip

    @app.post("/console/hired-guns/review", include_in_schema=False)
    async def review(request: Request) -> Response:
        """An operator's decision on a pair (confirmed / dismissed / unclear) and a note."""
        session = await ctx.guard(request, "operator")
        fields = await form(request)
        check_csrf(session, fields)
        sitting = fields.get("sitting", "")[:64]
        try:
            await run_in_threadpool(
                mark, ctx.home.store, ctx.accounts(), session.username,
                fields.get("a", "")[:90], fields.get("b", "")[:90],
                fields.get("decision", ""), fields.get("note", "").strip(), client_of(request),
            )  # fmt: skip
        except ReviewRefused as exc:
            return await _page(request, session, sitting, 400, (exc.zh, exc.en))
        return redirect("/console/hired-guns?sitting=" + quote(sitting, safe=""))

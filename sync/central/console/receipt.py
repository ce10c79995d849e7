"""The public receipt check: a candidate enters the admission ticket and the receipt code
the seat showed at submission, and learns whether that submission reached the centre
unaltered, and when. Nothing else is shown: not the name, not the score.

"Unaltered": the centre holds an `attempt.submitted` event of that candidate, inside the
station's verified hash chain (quarantined events are not in `events`), whose answer digest
begins with the receipt code (the code is the first 12 hex digits of answers_sha256).
Rate-limited per client address through the audit table, so several central processes
share the count.
"""

from __future__ import annotations

import hashlib
import json
import re

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.central.console.queries import CHECKINS, SUBMITTED, since
from sync.central.console.web import client_of, form, form_token_ok, with_form_token
from sync.central.home import CentralHome
from sync.central.staff import StaffAccounts
from sync.central.storage import CentralStore

TICKET = re.compile(r"^[A-Za-z0-9-]{4,40}$")
CODE = re.compile(r"^[0-9A-F]{12}$")
MAX_CHECKS = 10  # per client address
WINDOW_MINUTES = 10


def candidate_of_ticket(store: CentralStore, ticket: str) -> str | None:
    rows = store.read(
        "SELECT candidate_id FROM expected_candidates WHERE ticket = ? LIMIT 1", (ticket,)
    )
    if rows:
        return str(rows[0][0])
    # The ticket is validated to [A-Za-z0-9-], so it cannot carry LIKE wildcards.
    rows = store.read(
        "SELECT candidate_id FROM events WHERE type IN (?, ?) AND payload LIKE ? LIMIT 1",
        (*CHECKINS, f'%"ticket":"{ticket}"%'),
    )
    return str(rows[0][0]) if rows and rows[0][0] else None


def check_receipt(store: CentralStore, ticket: str, code: str) -> str | None:
    """The time the matching submission was recorded at the station, or None."""
    candidate = candidate_of_ticket(store, ticket)
    if candidate is None:
        return None
    for at, payload in store.read(
        "SELECT wall_time, payload FROM events WHERE candidate_id = ? AND type = ? "
        "ORDER BY wall_time",
        (candidate, SUBMITTED),
    ):
        digest = str(json.loads(payload).get("answers_sha256", ""))
        if digest[:12].upper() == code:
            return str(at)
    return None


def recent_checks(store: CentralStore, client: str) -> int:
    rows = store.read(
        "SELECT COUNT(*) FROM central_audit WHERE action = 'receipt.check' AND client = ? "
        "AND at >= ?",
        (client, since(WINDOW_MINUTES)),
    )
    return int(rows[0][0]) if rows else 0


def add_receipt_routes(app: FastAPI, home: CentralHome) -> None:
    @app.get("/receipt", include_in_schema=False)
    async def receipt_form(request: Request) -> Response:
        return with_form_token(request, "receipt.html", outcome=None)

    @app.post("/receipt", include_in_schema=False)
    async def receipt_check(request: Request) -> Response:
        fields = await form(request)
        ticket = fields.get("ticket", "").strip()
        code = re.sub(r"[\s-]", "", fields.get("code", "")).upper()
        client = client_of(request)
        if not form_token_ok(request, fields):
            return with_form_token(request, "receipt.html", 403, outcome="expired")
        if await run_in_threadpool(recent_checks, home.store, client) >= MAX_CHECKS:
            return with_form_token(request, "receipt.html", 429, outcome="limited")
        accounts = StaffAccounts(home.store)
        target = hashlib.sha256(ticket.encode()).hexdigest()[:16]  # not the ticket itself
        if not TICKET.match(ticket) or not CODE.match(code):
            await run_in_threadpool(
                accounts.audit, "public", "receipt.check", target, "bad", client
            )
            return with_form_token(request, "receipt.html", 400, outcome="bad_input")
        at = await run_in_threadpool(check_receipt, home.store, ticket, code)
        await run_in_threadpool(
            accounts.audit, "public", "receipt.check", target, "found" if at else "not found",
            client,
        )  # fmt: skip
        return with_form_token(
            request, "receipt.html", outcome="found" if at else "not_found", at=at
        )

"""Live updates by server-sent events: GET /console/api/events (text/event-stream).

The stream sends the same document as /console/api/live (`event: live`) whenever it
changes, and `event: ping` every heartbeat so balancers and the browser's watchdog see it is
alive. Bounds, from HOME/config.json `live_stream` (centre_settings.StreamLimits):

- one stream per session: opening a stream records its id on the session; an older stream
  of the same session (another tab, a half-dead connection, in any central process) sees
  that at its next check and ends with `event: end` {"reason": "replaced"};
- the session is re-checked every `check_seconds` without counting as activity: signed
  out, idle, expired or disabled ends the stream ({"reason": "signed_out"});
- after `max_seconds` the server closes the stream; the browser's EventSource reconnects
  by itself, and that request passes the sign-in guard again.

Counts come from `queries.live_counts`, shared for two seconds by every stream and poll of
this process and serialised once a tick for all streams, so a thousand open streams cost
one count per two seconds and a string comparison each, not a thousand queries.
Where a balancer buffers the stream, the page's script gets nothing within a few seconds and
falls back to polling /console/api/live (console.js).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sync.central.centre_settings import StreamLimits
from sync.central.console import queries
from sync.central.console.web import SECURITY_HEADERS, SESSION_COOKIE, ConsoleContext
from sync.central.staff import Session

TICK_S = 1.0  # how often the counts are compared with the last ones sent
RETRY_MS = 3000  # how long the browser waits before reconnecting


def message(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), sort_keys=True)}\n\n"


def closing_flag(app: Any) -> threading.Event:
    """Set when the service stops (sync.central.server.Server): live streams, open for
    minutes, end at their next tick instead of holding the shutdown up until cancelled."""
    state = app.state
    if not hasattr(state, "closing"):
        state.closing = threading.Event()
    flag: threading.Event = state.closing
    return flag


def add_stream_route(app: FastAPI, ctx: ConsoleContext, limits: StreamLimits) -> None:
    closing = closing_flag(app)  # the service is stopping: end streams, do not hold it up
    latest: list[Any] = [-1e9, ""]  # (monotonic time, JSON text) shared by every stream
    computing = asyncio.Lock()

    async def counts() -> str:
        """The live document as text, computed at most once a tick for all the streams of
        this process (each stream then only compares two strings)."""
        async with computing:
            if time.monotonic() - latest[0] >= TICK_S:
                doc = await ctx.read(queries.live_counts)
                latest[:] = [time.monotonic(), json.dumps(doc, sort_keys=True)]
            return str(latest[1])

    def ended(token: str | None, mine: str) -> str | None:
        """Why the stream must end now, or None to go on."""
        accounts = ctx.accounts()
        session = accounts.session(token, touch=False)
        if session is None:
            return "signed_out"
        if session.password_expired:
            return "password_expired"
        if accounts.stream_holder(session) != mine:
            return "replaced"
        return None

    async def events(request: Request, session: Session, mine: str) -> AsyncIterator[str]:
        token = request.cookies.get(SESSION_COOKIE)
        started = checked = beat = time.monotonic()
        yield f"retry: {RETRY_MS}\n\n"
        yield message("hello", {"heartbeat": limits.heartbeat_seconds})
        sent = ""
        while True:
            now = time.monotonic()
            if now - started >= limits.max_seconds or closing.is_set():
                return  # the browser reconnects, through the sign-in guard
            if now - checked >= limits.check_seconds:
                checked = now
                reason = await run_in_threadpool(ended, token, mine)
                if reason is not None:
                    yield message("end", {"reason": reason})
                    return
            doc = await counts()
            if doc != sent:
                sent, beat = doc, now
                yield f"event: live\ndata: {doc}\n\n"
            elif now - beat >= limits.heartbeat_seconds:
                beat = now
                yield message("ping", {})
            await asyncio.sleep(TICK_S)

    @app.get("/console/api/events", include_in_schema=False)
    async def stream(request: Request) -> Response:
        session = await ctx.guard(request, touch=False)  # not activity: idle sessions end
        mine = await run_in_threadpool(ctx.accounts().claim_stream, session)
        return StreamingResponse(
            events(request, session, mine),
            media_type="text/event-stream",
            # nginx: do not buffer this answer (X-Accel-Buffering); no caching anywhere.
            headers={**SECURITY_HEADERS, "X-Accel-Buffering": "no"},
        )

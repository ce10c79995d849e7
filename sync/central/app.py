"""The central service over HTTP (FastAPI). Stateless: everything lives in the database.

Stations push with POST; every call is logged (method, path, status, time, station,
idempotency key) to the `sync.central.http` logger. `openapi_document()` is what
docs/openapi.json holds.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sync.central.auth import (
    MAX_CLOCK_SKEW_S,
    KnownStation,
    RateLimited,
    Refusals,
    StationGate,
    WrongVenue,
    read_body,
)
from sync.central.bundle_upload import receive_bundle
from sync.central.console import add_console
from sync.central.errors import CentralError, DatabaseUnavailable, MalformedRequest
from sync.central.home import CentralHome
from sync.central.http_body import BINARY_BODY, SIGNED_REQUEST, json_object
from sync.central.snapshot_api import add_snapshot_routes
from sync.crypto import KeyPair, PublicKeys
from sync.errors import FormatError, SyncError
from sync.reqsign import H_CENTRE_TIME

log = logging.getLogger("sync.central.http")

API_VERSION = "1.0.0"
# Per-endpoint body limits, enforced while the bytes arrive (and from Content-Length before).
# A station's batches are at most 4 MiB of events by default (sync.client).
MAX_BATCH_BYTES = 16 * 1024 * 1024
MAX_BUNDLE_BYTES = 2 * 1024 * 1024 * 1024
RETRY_AFTER_S = 5


class EventIn(BaseModel):
    """One event exactly as `sync.events.Event.to_dict()` gives it."""

    station_id: str
    seq: int = Field(ge=1)
    uuid: str
    type: str
    wall_time: str = Field(description="ISO 8601 with offset, the station's clock")
    mono_time: float
    payload: dict[str, Any]
    prev_hash: str = Field(description="hash of event seq-1; 64 zeros for seq 1")
    hash: str = Field(description="SHA-256 hex of canonical JSON of every other field")


class EventBatchIn(BaseModel):
    events: list[EventIn]
    signature: str = Field(
        description="hex Ed25519 signature by the station key over canonical_json(events)"
    )


class ImportResultOut(BaseModel):
    station_id: str
    accepted: int
    duplicates: int
    quarantined: int
    refused: int
    gaps: list[list[int]] = Field(description="missing seq ranges [first, last], inclusive")
    acked_seq: int = Field(description="highest seq with every seq up to it held")
    last_hash: str
    rollback: bool
    via: str
    snapshots: int
    notes: list[str]


class AckOut(BaseModel):
    station_id: str
    acked_seq: int = Field(description="highest contiguous seq held; resume after it")
    last_hash: str = Field(description="hash of the event at acked_seq (64 zeros if none)")
    highest_seq: int
    rollback: bool


class HealthOut(BaseModel):
    status: str
    database: str
    bundles: bool = Field(description="whether this instance can decrypt USB bundles")
    version: str


class ErrorOut(BaseModel):
    reason: str = Field(description="machine-readable code, e.g. unknown_station, bad_signature")
    message: str
    message_zh: str
    detail: str = ""


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 408, 409, 413, 429, 503, 507)
}
# Refusals that come before (or instead of) reading the body: the connection is closed, so a
# client streaming junk cannot keep it.
_CLOSE_STATUSES = frozenset({401, 408, 413, 429})


def _error(
    status: int, reason: str, exc: SyncError, headers: dict[str, str] | None = None
) -> JSONResponse:
    all_headers = {H_CENTRE_TIME: str(int(time.time())), **(headers or {})}
    if status in _CLOSE_STATUSES:
        all_headers["Connection"] = "close"
    return JSONResponse(
        {"reason": reason, "message": exc.en, "message_zh": exc.zh, "detail": exc.detail[:300]},
        status_code=status,
        headers=all_headers,
    )


def _from_exception(exc: SyncError) -> JSONResponse:
    if isinstance(exc, DatabaseUnavailable):
        return _error(503, exc.reason, exc, {"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, RateLimited):
        return _error(429, exc.reason, exc, {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, CentralError):
        return _error(exc.status, exc.reason, exc)
    if isinstance(exc, FormatError):
        return _error(400, "format_error", exc)
    return _error(400, "refused", exc)


def _station_lookup(home: CentralHome) -> Callable[[str], KnownStation | None]:
    def lookup(station_id: str) -> KnownStation | None:
        record = home.store.station(station_id)
        if record is None:
            return None
        return KnownStation(
            record.station_id, record.venue_id, PublicKeys(record.sign_key, record.box_key)
        )

    return lookup


def create_app(
    home: CentralHome,
    keys: KeyPair | None = None,
    *,
    docs: bool = False,
    max_clock_skew: int = MAX_CLOCK_SKEW_S,
    body_idle_timeout: float = 15.0,
    refusal_tarpit: float = 10.0,
) -> FastAPI:
    """The HTTP app over `home`. Station requests must be signed (sync.reqsign) and are
    answered signed by `keys`; without `keys` they answer 503. `docs` serves /docs and
    /openapi.json (off by default: the API description is in docs/openapi.json)."""
    app = FastAPI(
        title="ExamKiosk central service",
        version=API_VERSION,
        description=(
            "Receives hash-chained events from exam stations (HTTP batches or USB bundles) "
            "and applies them exactly once by (station_id, seq) and hash. Every station "
            "request is signed (headers X-EK-Station, X-EK-Time, X-EK-Body-SHA256, "
            "X-EK-Signature) and every answer to one is signed by the centre "
            "(X-EK-Answer-Signature). See docs/sync.md."
        ),
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    gate = StationGate(
        _station_lookup(home),
        keys,
        max_skew=max_clock_skew,
        idle_timeout=body_idle_timeout,
        refusals=Refusals(tarpit_s=refusal_tarpit),
    )
    app.state.gate = gate

    @app.middleware("http")
    async def log_every_call(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            # Refused strangers are counted by gate.refusals and summarised there; a line
            # each would let them fill the log.
            if status not in (401, 408, 413, 429):
                log.info(
                    "%s %s -> %d in %.1f ms from %s key=%s",
                    request.method,
                    request.url.path[:200],
                    status,
                    (time.perf_counter() - started) * 1000,
                    request.client.host if request.client else "?",
                    request.headers.get("idempotency-key", "-")[:200],
                )

    @app.exception_handler(SyncError)
    async def sync_error(_request: Request, exc: SyncError) -> JSONResponse:
        if isinstance(exc, DatabaseUnavailable):
            log.error("database unavailable: %s", exc.detail)
        return _from_exception(exc)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # The detail goes to the log only: a traceback never reaches the client.
        log.error("unexpected error", exc_info=exc)
        return _error(500, "internal", SyncError(
            "中心服务内部错误，未保存任何内容。请稍后重试；若持续出现，请联系中心管理员。",
            "The central service failed internally; nothing was kept. Retry later, and tell "
            "the centre's administrator if it persists.",
        ))  # fmt: skip

    @app.get("/v1/health", response_model=HealthOut, tags=["service"])
    async def health() -> dict[str, Any]:
        """Cheap liveness probe; stations call it with a short timeout. Unauthenticated."""
        return {
            "status": "ok",
            "database": home.store.kind,
            "bundles": keys is not None,
            "version": API_VERSION,
        }

    @app.get(
        "/v1/stations/{station_id}/ack",
        response_model=AckOut,
        responses=_ERRORS,
        tags=["stations"],
        openapi_extra=SIGNED_REQUEST,
    )
    async def ack(station_id: str, request: Request) -> Response:
        """Where the station should resume: the highest seq with nothing missing below it."""
        authed = await gate.enter(request, cap=0, station_id=station_id, what="ack")
        return gate.answer_json(authed, await run_in_threadpool(home.ack, station_id))

    @app.post(
        "/v1/stations/{station_id}/events",
        response_model=ImportResultOut,
        responses=_ERRORS,
        tags=["stations"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": EventBatchIn.model_json_schema()}},
            },
            "parameters": [
                *SIGNED_REQUEST["parameters"],
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 200},
                    "description": "same key and body -> the first answer again, nothing "
                    "re-applied; same key, other body -> 409",
                },
            ],
        },
    )
    async def push_events(station_id: str, request: Request) -> Response:
        """Apply a signed batch of one station's events (idempotent by seq and hash)."""
        authed = await gate.enter(
            request, cap=MAX_BATCH_BYTES, station_id=station_id, what="an event batch"
        )
        key = request.headers.get("idempotency-key")
        if key is not None and not 0 < len(key) <= 200:
            raise MalformedRequest("Idempotency-Key must be 1-200 characters")
        body = await read_body(request, authed, MAX_BATCH_BYTES, what="an event batch")
        document = json_object(body, max_bytes=MAX_BATCH_BYTES)
        result, replayed = await run_in_threadpool(
            home.receive_batch,
            station_id,
            document.get("events"),
            document.get("signature"),
            idempotency_key=key,
            body_sha256=authed.body_sha256,
            via="http",
        )
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return gate.answer_json(authed, result.to_dict(), headers=headers)

    @app.post(
        "/v1/bundles",
        response_model=ImportResultOut,
        responses=_ERRORS,
        tags=["bundles"],
        openapi_extra={**BINARY_BODY, **SIGNED_REQUEST},
    )
    async def upload_bundle(request: Request) -> Response:
        """Import a USB bundle (.ekb) uploaded as the raw body by a registered station (it
        may carry another station's bundle: the bundle is signed by its own station)."""
        authed = await gate.enter(request, cap=MAX_BUNDLE_BYTES, what="a bundle")
        result = await receive_bundle(request, authed, home, gate.keys, MAX_BUNDLE_BYTES)
        return gate.answer_json(authed, result.to_dict())

    @app.get(
        "/v1/venues/{venue_id}/package",
        responses={200: {"content": {"application/octet-stream": {}}}, **_ERRORS},
        response_class=Response,
        tags=["packages"],
        openapi_extra=SIGNED_REQUEST,
    )
    async def venue_package(venue_id: str, request: Request) -> Response:
        """The latest exam package (.ekp) issued for the asking station's venue; 404 if none."""
        authed = await gate.enter(request, cap=0, what="a package request")
        if authed.station.venue_id != venue_id:
            raise WrongVenue(authed.station.venue_id)
        data = await run_in_threadpool(home.latest_package, venue_id)
        if data is None:
            return _error(
                404,
                "no_package",
                SyncError(
                    "中心尚未为该考点签发考试包。",
                    "The centre has not issued an exam package for this venue yet.",
                ),
            )
        return gate.answer(authed, data, media_type="application/octet-stream")

    add_snapshot_routes(app, home, gate, _ERRORS)
    add_console(app, home)  # issue 13: the web console (/console) and receipt check (/receipt)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI description shipped as docs/openapi.json."""
    return create_app(CentralHome(Path("/nonexistent-central-home"))).openapi()


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

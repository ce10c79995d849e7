"""The central service over HTTP (FastAPI). Stateless: everything lives in the database.

Stations push with POST; every call is logged (method, path, status, time, station,
idempotency key) to the `sync.central.http` logger. `openapi_document()` is what
docs/openapi.json holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sync.central.console import add_console
from sync.central.errors import CentralError, DatabaseUnavailable, MalformedRequest
from sync.central.home import CentralHome
from sync.central.http_body import BINARY_BODY, json_object
from sync.central.snapshot_api import add_snapshot_routes
from sync.crypto import KeyPair
from sync.errors import FormatError, SyncError

log = logging.getLogger("sync.central.http")

API_VERSION = "1.0.0"
MAX_BATCH_BYTES = 32 * 1024 * 1024
MAX_BUNDLE_BYTES = 4 * 1024 * 1024 * 1024
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
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 413, 503)
}


def _error(
    status: int, reason: str, exc: SyncError, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"reason": reason, "message": exc.en, "message_zh": exc.zh, "detail": exc.detail},
        status_code=status,
        headers=headers,
    )


def _from_exception(exc: SyncError) -> JSONResponse:
    if isinstance(exc, DatabaseUnavailable):
        return _error(503, exc.reason, exc, {"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, CentralError):
        return _error(exc.status, exc.reason, exc)
    if isinstance(exc, FormatError):
        return _error(400, "format_error", exc)
    return _error(400, "refused", exc)


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise MalformedRequest(f"body of {declared} bytes is over the limit of {cap}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise MalformedRequest(f"body is over the limit of {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(home: CentralHome, keys: KeyPair | None = None) -> FastAPI:
    """The HTTP app over `home`. Without `keys`, /v1/bundles answers 503 (cannot decrypt)."""
    app = FastAPI(
        title="ExamKiosk central service",
        version=API_VERSION,
        description=(
            "Receives hash-chained events from exam stations (HTTP batches or USB bundles) "
            "and applies them exactly once by (station_id, seq) and hash. See docs/sync.md."
        ),
    )

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
            log.info(
                "%s %s -> %d in %.1f ms from %s key=%s",
                request.method,
                request.url.path,
                status,
                (time.perf_counter() - started) * 1000,
                request.client.host if request.client else "?",
                request.headers.get("idempotency-key", "-"),
            )

    @app.exception_handler(SyncError)
    async def sync_error(_request: Request, exc: SyncError) -> JSONResponse:
        if isinstance(exc, DatabaseUnavailable):
            log.error("database unavailable: %s", exc.detail)
        return _from_exception(exc)

    @app.get("/v1/health", response_model=HealthOut, tags=["service"])
    async def health() -> dict[str, Any]:
        """Cheap liveness probe; stations call it with a short timeout."""
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
    )
    async def ack(station_id: str) -> dict[str, Any]:
        """Where the station should resume: the highest seq with nothing missing below it."""
        return await run_in_threadpool(home.ack, station_id)

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
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 200},
                    "description": "same key and body -> the first answer again, nothing "
                    "re-applied; same key, other body -> 409",
                }
            ],
        },
    )
    async def push_events(station_id: str, request: Request, response: Response) -> dict[str, Any]:
        """Apply a signed batch of one station's events (idempotent by seq and hash)."""
        body = await _read_capped(request, MAX_BATCH_BYTES)
        document = json_object(body)
        key = request.headers.get("idempotency-key")
        if key is not None and not 0 < len(key) <= 200:
            raise MalformedRequest("Idempotency-Key must be 1-200 characters")
        result, replayed = await run_in_threadpool(
            home.receive_batch,
            station_id,
            document.get("events"),
            document.get("signature"),
            idempotency_key=key,
            body_sha256=hashlib.sha256(body).hexdigest(),
            via="http",
        )
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return result.to_dict()

    @app.post(
        "/v1/bundles",
        response_model=ImportResultOut,
        responses=_ERRORS,
        tags=["bundles"],
        openapi_extra=BINARY_BODY,
    )
    async def upload_bundle(request: Request) -> dict[str, Any]:
        """Import a USB bundle (.ekb) uploaded as the raw body; same apply path as batches."""
        if keys is None:
            raise CentralError(
                "本服务实例未解锁中心密钥，无法导入U盘数据包。",
                "This instance was started without the central key and cannot import "
                "bundles. Use `examkiosk-central import-bundle` or restart with the passphrase.",
                detail="no keys",
            )
        incoming = home.home / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming, suffix=".ekb")
        try:
            size = 0
            with os.fdopen(fd, "wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > MAX_BUNDLE_BYTES:
                        raise MalformedRequest("bundle is over the size limit")
                    out.write(chunk)
            result = await run_in_threadpool(home.import_bundle, Path(name), keys)
        finally:
            Path(name).unlink(missing_ok=True)
        return result.to_dict()

    @app.get(
        "/v1/venues/{venue_id}/package",
        responses={200: {"content": {"application/octet-stream": {}}}, **_ERRORS},
        response_class=Response,
        tags=["packages"],
    )
    async def venue_package(venue_id: str) -> Response:
        """The latest exam package (.ekp) issued for the venue; 404 if none."""
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
        return Response(data, media_type="application/octet-stream")

    add_snapshot_routes(app, home, _ERRORS)
    add_console(app, home)  # issue 13: the web console (/console) and receipt check (/receipt)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI description shipped as docs/openapi.json."""
    return create_app(CentralHome(Path("/nonexistent-central-home"))).openapi()


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

"""HTTP endpoints of snapshot uploads: announce a signed snapshot, then send it in chunks.

Kept beside app.py so the event endpoints stay readable; `add_snapshot_routes` is called by
`create_app`. The protocol is in uploads.py and docs/sync.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sync.central.auth import StationGate, read_body
from sync.central.home import CentralHome
from sync.central.http_body import BINARY_BODY, SIGNED_REQUEST, json_object
from sync.central.uploads import MAX_CHUNK_BYTES, MAX_SNAPSHOT_BYTES


class SnapshotDescriptionIn(BaseModel):
    name: str = Field(description="the station's name of the snapshot, e.g. checkin-12.jpg")
    media_type: str
    size: int = Field(ge=0, le=MAX_SNAPSHOT_BYTES)
    sha256: str = Field(description="SHA-256 hex of the whole snapshot")
    event_seq: int | None = Field(default=None, description="the event that refers to it")


class SnapshotAnnounceIn(BaseModel):
    snapshot: SnapshotDescriptionIn
    signature: str = Field(
        description="hex Ed25519 signature by the station key over canonical_json(snapshot)"
    )


class UploadStateOut(BaseModel):
    upload_id: str = Field(description="derived from station, name, size and sha256: stable")
    name: str
    size: int
    received: int = Field(description="bytes held; send the next chunk at this offset")
    complete: bool
    status: str = Field(
        description="pending | accepted | duplicate | conflict | restarted (damaged on the "
        "way: send again from offset 0)"
    )


MAX_ANNOUNCE_BYTES = 64 * 1024


def add_snapshot_routes(
    app: FastAPI, home: CentralHome, gate: StationGate, errors: dict[int | str, dict[str, Any]]
) -> None:
    @app.post(
        "/v1/stations/{station_id}/snapshots",
        response_model=UploadStateOut,
        responses=errors,
        tags=["snapshots"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": SnapshotAnnounceIn.model_json_schema()}},
            },
            **SIGNED_REQUEST,
        },
    )
    async def announce_snapshot(station_id: str, request: Request) -> Response:
        """Announce a signed snapshot; answers where its upload stands (resume at `received`).

        Announcing the same snapshot again returns the same upload. A snapshot already held
        (from a bundle or an earlier upload) is answered complete at once.
        """
        what = "a snapshot announcement"
        authed = await gate.enter(request, cap=MAX_ANNOUNCE_BYTES, station_id=station_id, what=what)
        body = await read_body(request, authed, MAX_ANNOUNCE_BYTES, what=what)
        document = json_object(body, max_bytes=MAX_ANNOUNCE_BYTES, max_depth=8)
        state = await run_in_threadpool(
            home.begin_snapshot, station_id, document.get("snapshot"), document.get("signature")
        )
        return gate.answer_json(authed, state.to_dict())

    @app.post(
        "/v1/stations/{station_id}/snapshots/{upload_id}/chunks",
        response_model=UploadStateOut,
        responses=errors,
        tags=["snapshots"],
        openapi_extra={**BINARY_BODY, **SIGNED_REQUEST},
    )
    async def snapshot_chunk(
        station_id: str,
        upload_id: str,
        request: Request,
        offset: int = Query(
            ge=0,
            le=MAX_SNAPSHOT_BYTES,
            description="byte offset of this chunk; must equal received",
        ),
    ) -> Response:
        """Append the next chunk (at most 8 MiB). A chunk already held is a no-op; one at
        another offset than `received` answers 409 `upload_offset` (announce again to resume)."""
        authed = await gate.enter(
            request, cap=MAX_CHUNK_BYTES, station_id=station_id, what="a snapshot chunk"
        )
        data = await read_body(request, authed, MAX_CHUNK_BYTES, what="a snapshot chunk")
        state = await run_in_threadpool(home.snapshot_chunk, station_id, upload_id, offset, data)
        return gate.answer_json(authed, state.to_dict())

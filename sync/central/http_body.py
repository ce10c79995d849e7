"""Request bodies shared by the central service's endpoints."""

from __future__ import annotations

from typing import Any

from sync.central.errors import MalformedRequest
from sync.jsonlimits import JsonLimitError, loads_bounded

# OpenAPI for an endpoint whose body is raw bytes (bundles, snapshot chunks).
BINARY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _header(name: str, description: str, pattern: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": pattern},
        "description": description,
    }


# OpenAPI of the headers every station request carries (sync/reqsign.py, docs/sync.md).
SIGNED_REQUEST: dict[str, Any] = {
    "parameters": [
        _header("X-EK-Station", "the station id", r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
        _header("X-EK-Time", "the station's clock, Unix seconds (within 5 minutes)", r"^\d+$"),
        _header(
            "X-EK-Body-SHA256", "SHA-256 hex of the body (of nothing for GET)", "^[0-9a-f]{64}$"
        ),
        _header(
            "X-EK-Signature",
            "Ed25519 by the station key over 'ek-request/1', method, path?query, station, "
            "time and body hash, joined by newlines",
            "^[0-9a-f]{128}$",
        ),
    ]
}


def json_object(
    body: bytes, *, max_bytes: int, max_depth: int = 32, max_containers: int = 500_000
) -> dict[str, Any]:
    """The body as a JSON object of bounded size and depth; MalformedRequest (400) else."""
    try:
        document = loads_bounded(
            body, max_bytes=max_bytes, max_depth=max_depth, max_containers=max_containers
        )
    except JsonLimitError as exc:
        raise MalformedRequest(f"body: {exc}") from exc
    if not isinstance(document, dict):
        raise MalformedRequest("body is not a JSON object")
    return document

"""Request bodies shared by the central service's endpoints."""

from __future__ import annotations

import json
from typing import Any

from sync.central.errors import MalformedRequest

# OpenAPI for an endpoint whose body is raw bytes (bundles, snapshot chunks).
BINARY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; MalformedRequest (400) for anything else."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise MalformedRequest(f"body is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise MalformedRequest("body is not a JSON object")
    return document

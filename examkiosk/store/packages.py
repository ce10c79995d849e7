"""SQL for the imported exam packages: one function per question asked of them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from examkiosk.store.db import Store


@dataclass(frozen=True)
class LatestPackage:
    exam_id: str
    version: int
    sitting_id: str
    content: dict[str, Any]  # the stored exam content (no roster, no paper items)


def latest(store: Store) -> LatestPackage | None:
    """The newest imported package, or None before the first import."""
    rows = store.query(
        "SELECT exam_id, version, sitting_id, content_json FROM packages "
        "ORDER BY version DESC LIMIT 1"
    )
    if not rows:
        return None
    exam_id, version, sitting_id, content = rows[0]
    return LatestPackage(str(exam_id), int(version), str(sitting_id), dict(json.loads(content)))


def highest_version(store: Store) -> int:
    return int(store.query("SELECT max(version) FROM packages")[0][0] or 0)

"""Statistics at the centre, across venues: every station's accepted events (quarantined
ones are not counted), by the same rules as a station (sync.exam_stats)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from sync.central.home import CentralHome
from sync.errors import FormatError
from sync.events import Event
from sync.exam_stats import ExamStats, compute

PAGE = 5000
MAX_KEY_BYTES = 16 * 1024 * 1024


def central_stats(
    home: CentralHome,
    *,
    sitting_id: str | None = None,
    venue_id: str | None = None,
    key: Mapping[str, Sequence[str]] | None = None,
) -> ExamStats:
    venue_of: dict[str, str] = {}
    events: list[Event] = []
    for record in home.store.stations():
        if venue_id is not None and record.venue_id != venue_id:
            continue
        venue_of[record.station_id] = record.venue_id
        after = 0
        while True:
            page = home.store.events(record.station_id, after_seq=after, limit=PAGE)
            if not page:
                break
            events.extend(page)
            after = page[-1].seq
    return compute(events, venue_of=venue_of, sitting_id=sitting_id, key=key)


def read_answer_key(path: Path) -> dict[str, list[str]]:
    """The answer key, as JSON: {"ITEM_ID": ["A"], ...}, or the exam package's content the
    centre built the package from ({"sections": [{"items": [{"item_id", "answer"}]}]}).
    Raises FormatError."""
    try:
        if path.stat().st_size > MAX_KEY_BYTES:
            raise FormatError(detail=f"{path}: larger than {MAX_KEY_BYTES} bytes")
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise FormatError(
            "答案文件无法读取或不是 JSON。", "The answer key file cannot be read or is not JSON.",
            detail=str(exc),
        ) from exc  # fmt: skip
    if isinstance(document, dict) and ("sections" in document or "items" in document):
        document = _key_from_content(document)
    if not isinstance(document, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in document.values()
    ):
        raise FormatError(
            "答案文件格式不对：应为 {\"题号\": [\"A\"]}。",
            'The answer key has the wrong shape: expected {"ITEM_ID": ["A"]}.',
        )  # fmt: skip
    return {str(k): list(v) for k, v in document.items()}


def _key_from_content(content: dict[str, object]) -> object:
    items: list[object] = []
    sections = content.get("sections")
    if isinstance(sections, list):
        for section in sections:
            if isinstance(section, dict) and isinstance(section.get("items"), list):
                items.extend(section["items"])
    if isinstance(content.get("items"), list):
        items.extend(content["items"])  # type: ignore[arg-type]
    return {
        str(i.get("item_id")): i.get("answer", i.get("key")) for i in items if isinstance(i, dict)
    }

"""The numbers and times a package states about itself in the clear are range-checked."""

from __future__ import annotations

from typing import Any

import pytest

from sync.errors import FormatError
from sync.package import PackageMeta

GOOD: dict[str, Any] = {
    "exam_id": "E1", "version": 3, "venue_id": "V1", "sitting_id": "S1",
    "valid_from": "2026-11-22T08:00:00+08:00", "valid_until": "2026-11-23T08:00:00+08:00",
    "issued_at": "2026-11-21T08:00:00+08:00", "central_key_id": "0123456789abcdef",
}  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        {"version": 2**40},
        {"version": -1},
        {"version": 3.0},
        {"version": True},
        {"valid_until": "9999-12-31T00:00:00+00:00"},
        {"issued_at": "1900-01-01T00:00:00+00:00"},
        {"valid_from": "2026-11-22T08:00:00"},
        {"exam_id": "E" * 10_000},
    ],
)
def test_out_of_range_header_fields_are_refused(bad: dict[str, Any]) -> None:
    assert PackageMeta.from_dict(GOOD).version == 3
    with pytest.raises(FormatError):
        PackageMeta.from_dict({**GOOD, **bad})

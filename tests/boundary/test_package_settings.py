"""A package whose settings break a rule is refused at import with the field named, and the
station is left exactly as it was; the corrected package then imports."""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from examkiosk.app import demo_content
from examkiosk.app.demo_venue import DemoVenue, build_demo_venue
from examkiosk.core.package_checks import PackageInvalid
from examkiosk.core.package_import import import_package
from sync.package import PackageMeta


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[DemoVenue]:
    venue = build_demo_venue(tmp_path / "v", faces_dir=None, candidates=4, items=12)
    yield venue
    venue.station.close()


def good_content() -> dict[str, Any]:
    return {
        "exam": {"exam_id": "EX-2026-YS-DEMO", "title": "t", "sitting_id": "S-2026-1122"},
        "duration_minutes": 90,
        "settings": {"warn_minutes": [15, 5], "resume_secret": "ab" * 32},
        "roster": demo_content.roster(4, "S-2026-1122", []),
        "paper": demo_content.paper(12),
    }


def package(venue: DemoVenue, content: dict[str, Any], version: int) -> bytes:
    now = datetime.now().astimezone()
    meta = PackageMeta(
        exam_id="EX-2026-YS-DEMO", version=version, venue_id="V-DEMO-01",
        sitting_id="S-2026-1122", valid_from=(now - timedelta(hours=1)).isoformat(),
        valid_until=(now + timedelta(days=1)).isoformat(), issued_at=now.isoformat(),
        central_key_id=venue.central.public_keys().key_id,
    )  # fmt: skip
    keys = venue.central.unlock(venue.passphrase)
    return venue.central.issue_package(content, meta, keys, [venue.station.keys().public()])


def digest(venue: DemoVenue) -> str:
    rows = venue.station.store.query(
        "SELECT (SELECT count(*) FROM candidates), (SELECT group_concat(content_json) FROM "
        "packages), (SELECT count(*) FROM items), (SELECT max(seq) FROM events)"
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(content: dict[str, Any]) -> None:
        target: Any = content
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _duplicate_ticket(content: dict[str, Any]) -> None:
    content["roster"][1]["ticket"] = content["roster"][0]["ticket"]


def _duplicate_item(content: dict[str, Any]) -> None:
    items = content["paper"]["sections"][0]["items"]
    items[1]["item_id"] = items[0]["item_id"]


def _broken_picture(content: dict[str, Any]) -> None:
    item = content["paper"]["sections"][0]["items"][0]
    item["image"] = {"media_type": "image/png", "data_b64": base64.b64encode(b"not a png").decode()}


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "negative duration": (_set("duration_minutes", -5), "duration_minutes"),
    "text duration": (_set("duration_minutes", "ninety"), "duration_minutes"),
    "duration of a year": (_set("duration_minutes", 525_600), "duration_minutes"),
    "warning after the end": (_set("settings.warn_minutes", [200]), "settings.warn_minutes[0]"),
    "secret not hex": (_set("settings.resume_secret", "zz" * 32), "settings.resume_secret"),
    "secret too short": (_set("settings.resume_secret", "abcd"), "settings.resume_secret"),
    "unknown outage policy": (_set("settings.outage_policy", "never"), "settings.outage_policy"),
    "duplicate ticket": (_duplicate_ticket, "roster[1].ticket"),
    "empty name": (_set("roster.2.name", ""), "roster[2].name"),
    "duplicate item": (_duplicate_item, "item_id"),
    "picture missing": (_broken_picture, "image"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_setting_is_refused_with_its_field_and_changes_nothing(
    venue: DemoVenue, case: str
) -> None:
    change, field = CASES[case]
    import_package(venue.station, package(venue, good_content(), 2))
    before = digest(venue)
    bad = copy.deepcopy(good_content())
    change(bad)
    with pytest.raises(PackageInvalid) as caught:
        import_package(venue.station, package(venue, bad, 3))
    assert field in caught.value.field and field in caught.value.en
    assert field in caught.value.zh and "未导入任何内容" in caught.value.zh
    assert digest(venue) == before
    # The corrected package (same version) goes in.
    import_package(venue.station, package(venue, good_content(), 3))

"""Exam packages arriving at a station: refused ones change nothing; a sealed paper opens
only with the password released at exam start."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from examkiosk.app import demo_content
from examkiosk.app.demo_venue import DemoVenue, build_demo_venue
from examkiosk.core.authz import NotAllowed, Person
from examkiosk.core.exam import ExamEngine
from examkiosk.core.package_import import import_package, paper_sealed, release_paper
from examkiosk.core.roster import all_candidates
from sync.errors import PackageRefused, WrongPassphrase
from sync.package import PackageMeta


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[DemoVenue]:
    venue = build_demo_venue(tmp_path / "v", faces_dir=None, candidates=4, items=12)
    yield venue
    venue.station.close()


def _package(
    venue: DemoVenue,
    *,
    version: int,
    venue_id: str | None = None,
    paper_password: str | None = None,
    candidates: int = 4,
) -> bytes:
    now = datetime.now().astimezone()
    meta = PackageMeta(
        exam_id="EX-2026-YS-DEMO",
        version=version,
        venue_id=venue_id or "V-DEMO-01",
        sitting_id="S-2026-1122",
        valid_from=(now - timedelta(hours=1)).isoformat(),
        valid_until=(now + timedelta(days=1)).isoformat(),
        issued_at=now.isoformat(),
        central_key_id=venue.central.public_keys().key_id,
    )
    content = {
        "exam": {"exam_id": meta.exam_id, "title": "t", "sitting_id": meta.sitting_id},
        "duration_minutes": 90,
        "roster": demo_content.roster(candidates, meta.sitting_id, []),
        "paper": demo_content.paper(12),
    }
    keys = venue.central.unlock(venue.passphrase)
    return venue.central.issue_package(
        content, meta, keys, [venue.station.keys().public()], paper_password=paper_password
    )


def _store_digest(venue: DemoVenue) -> str:
    rows = venue.station.store.query(
        "SELECT count(*), (SELECT max(version) FROM packages), (SELECT count(*) FROM items), "
        "(SELECT max(seq) FROM events) FROM candidates"
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_an_older_version_is_refused_as_rollback_and_changes_nothing(venue: DemoVenue) -> None:
    import_package(venue.station, _package(venue, version=3))
    before = _store_digest(venue)
    with pytest.raises(PackageRefused) as caught:
        import_package(venue.station, _package(venue, version=2, candidates=9))
    assert caught.value.reason == "rollback"
    assert _store_digest(venue) == before


def test_another_venues_package_is_refused(venue: DemoVenue) -> None:
    before = _store_digest(venue)
    with pytest.raises(PackageRefused) as caught:
        import_package(venue.station, _package(venue, version=5, venue_id="V-OTHER"))
    assert caught.value.reason == "wrong_venue"
    assert _store_digest(venue) == before


def test_a_flipped_byte_is_refused_and_changes_nothing(venue: DemoVenue) -> None:
    data = bytearray(_package(venue, version=4))
    data[len(data) // 3] ^= 0x40
    before = _store_digest(venue)
    with pytest.raises(Exception) as caught:
        import_package(venue.station, bytes(data))
    assert getattr(caught.value, "zh", "")  # a message a person can read
    assert _store_digest(venue) == before


CHIEF = Person("A1", "主考", "venue_admin")


def test_sealed_paper_opens_only_with_the_released_password(venue: DemoVenue) -> None:
    summary = import_package(venue.station, _package(venue, version=2, paper_password="738 219"))
    assert summary.items == 0 and summary.candidates == 4
    assert paper_sealed(venue.station)
    assert len(all_candidates(venue.station.store)) == 4  # the door can work before the start

    with pytest.raises(WrongPassphrase):
        release_paper(venue.station, "000000", by=CHIEF)
    assert paper_sealed(venue.station)
    assert ExamEngine(venue.station).items() == []

    with pytest.raises(NotAllowed):  # an invigilator may not open the paper
        release_paper(venue.station, "738219", by=Person("I1", "监考", "invigilator"))
    assert release_paper(venue.station, "７３８２１９", by=CHIEF) == 12
    released = venue.station.events()[-1]
    assert released.type == "paper.released" and released.payload["by"] == "A1"
    assert not paper_sealed(venue.station)
    paper = ExamEngine(venue.station).paper()
    assert [s.section_id for s in paper.sections] == ["S1", "S2", "S3"]
    assert sum(len(s.items) for s in paper.sections) == 12
    last = venue.station.events()[-1]
    assert last.type == "paper.released" and last.payload["items"] == 12


def test_reimporting_the_same_version_before_the_start_keeps_one_roster(venue: DemoVenue) -> None:
    data = _package(venue, version=1)
    import_package(venue.station, data)
    import_package(venue.station, data)
    assert len(all_candidates(venue.station.store)) == 4

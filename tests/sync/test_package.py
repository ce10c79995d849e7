"""Exam packages: a station takes only the right, current, authentic package meant for it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sync.crypto import KeyPair
from sync.envelope import seal
from sync.errors import FormatError, PackageRefused, WrongPassphrase
from sync.package import (
    PackageMeta,
    build_package,
    open_package,
    paper_is_sealed,
    read_package_meta,
    unseal_paper,
)

CENTRAL = KeyPair.generate()
STATION = KeyPair.generate()
VENUE = KeyPair.generate()
OTHER_STATION = KeyPair.generate()
NOW = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
CANDIDATE_NAME = "欧阳明远"
QUESTION = "急性心肌梗死最常见的早期并发症是"
CONTENT = {
    "exam": {"exam_id": "EX2026", "title": "2026年医师资格考试"},
    "roster": [{"ticket": "260001", "name": CANDIDATE_NAME, "id_number": "110101199003078515"}],
    "paper": {"sections": [{"section_id": "A1", "items": [{"stem": QUESTION, "key": "C"}]}]},
}


def _meta(**change: object) -> PackageMeta:
    meta = PackageMeta(
        exam_id="EX2026",
        version=3,
        venue_id="V-0101",
        sitting_id="S-AM",
        valid_from=(NOW - timedelta(days=2)).isoformat(),
        valid_until=(NOW + timedelta(days=2)).isoformat(),
        issued_at=(NOW - timedelta(days=3)).isoformat(),
        central_key_id=CENTRAL.public().key_id,
    )
    return replace(meta, **change)  # type: ignore[arg-type]


def _package(**change: object) -> bytes:
    return build_package(CONTENT, _meta(**change), CENTRAL, [STATION.public(), VENUE.public()])


def _open(data: bytes, **change: object) -> tuple[PackageMeta, dict[str, object]]:
    args: dict[str, object] = {
        "central": CENTRAL.public(),
        "station": STATION,
        "venue_id": "V-0101",
        "now": NOW,
    }
    args.update(change)
    return open_package(data, **args)  # type: ignore[arg-type]


def test_the_station_and_the_venue_key_both_open_the_package() -> None:
    data = _package()
    meta, content = _open(data)
    assert meta == _meta() and not meta.paper_sealed
    assert content == CONTENT
    assert _open(data, station=VENUE)[1] == CONTENT


def test_metadata_is_readable_without_keys_and_personal_data_is_not() -> None:
    data = _package()
    assert read_package_meta(data) == _meta()
    for secret in (CANDIDATE_NAME, "110101199003078515", QUESTION):
        assert secret.encode("utf-8") not in data


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"venue_id": "V-9999"}, "wrong_venue"),
        ({"min_version": 4}, "rollback"),
        ({"now": NOW + timedelta(days=3)}, "expired"),
        ({"now": NOW - timedelta(days=3)}, "not_yet_valid"),
        ({"station": OTHER_STATION}, "not_for_this_station"),
        ({"central": KeyPair.generate().public()}, "unknown_key"),
    ],
)
def test_each_refusal_names_its_reason_in_both_languages(
    change: dict[str, object], reason: str
) -> None:
    with pytest.raises(PackageRefused) as caught:
        _open(_package(), **change)
    assert caught.value.reason == reason
    assert caught.value.zh and caught.value.en and caught.value.zh != caught.value.en


def test_the_same_version_again_is_accepted_a_lower_one_is_not() -> None:
    assert _open(_package(), min_version=3)[0].version == 3
    with pytest.raises(PackageRefused) as caught:
        _open(_package(version=2), min_version=3)
    assert caught.value.reason == "rollback"


def test_the_validity_window_ends_exactly_at_valid_until() -> None:
    meta = _meta()
    until = datetime.fromisoformat(meta.valid_until)
    assert _open(_package(), now=until - timedelta(seconds=1))[0] == meta
    with pytest.raises(PackageRefused):
        _open(_package(), now=until)


def test_a_package_signed_by_another_centre_is_refused_as_unknown_key() -> None:
    impostor = KeyPair.generate()
    data = build_package(
        CONTENT, _meta(central_key_id=impostor.public().key_id), impostor, [STATION.public()]
    )
    with pytest.raises(PackageRefused) as caught:
        _open(data)
    assert caught.value.reason == "unknown_key"


def test_a_damaged_signature_is_refused_as_bad_signature() -> None:
    data = _package()
    with pytest.raises(PackageRefused) as caught:
        _open(data[:-1] + bytes([data[-1] ^ 0x80]))
    assert caught.value.reason == "bad_signature"


def test_a_bundle_or_other_envelope_is_not_taken_for_a_package() -> None:
    other = seal("bundle", _meta().to_dict(), b"{}", CENTRAL, [STATION.public()])
    with pytest.raises(FormatError) as caught:
        _open(other)
    assert ".ekp" in caught.value.en
    with pytest.raises(FormatError):
        read_package_meta(other)


def test_sealed_paper_stays_unreadable_until_its_password_is_given() -> None:
    data = build_package(CONTENT, _meta(), CENTRAL, [STATION.public()], paper_password="738 219")
    assert read_package_meta(data).paper_sealed
    meta, content = _open(data)
    assert meta.paper_sealed and paper_is_sealed(content)
    assert content["roster"] == CONTENT["roster"]  # the door can check in before the start
    assert QUESTION not in str(content)
    with pytest.raises(WrongPassphrase) as caught:
        unseal_paper(content, "738 218")
    assert caught.value.zh and caught.value.en
    assert unseal_paper(content, "738219") == CONTENT["paper"]
    # Typed on a Chinese IME: full-width digits and stray spaces still open it.
    assert unseal_paper(content, " ７３８２１９ ") == CONTENT["paper"]


def test_an_unsealed_paper_is_returned_as_is() -> None:
    _, content = _open(_package())
    assert not paper_is_sealed(content)
    assert unseal_paper(content, "anything") == CONTENT["paper"]


def test_a_sealed_paper_altered_inside_the_content_does_not_open() -> None:
    data = build_package(CONTENT, _meta(), CENTRAL, [STATION.public()], paper_password="pw")
    _, content = _open(data)
    with pytest.raises(FormatError):
        unseal_paper({**content, "paper": {"format": "ek-sealed-paper", "version": 9}}, "pw")
    with pytest.raises(FormatError):
        unseal_paper({"roster": []}, "pw")


@pytest.mark.parametrize(
    "change",
    [
        {"central_key_id": "0" * 16},
        {"valid_until": (NOW - timedelta(days=5)).isoformat()},
        {"valid_from": "2026-05-01T09:00:00"},  # no offset
        {"version": -1},
    ],
)
def test_build_refuses_meta_a_station_could_not_use(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _package(**change)


def test_build_refuses_a_paper_password_without_a_paper() -> None:
    with pytest.raises(ValueError):
        build_package({"roster": []}, _meta(), CENTRAL, [STATION.public()], paper_password="pw")


def test_a_naive_now_is_a_caller_error() -> None:
    with pytest.raises(ValueError):
        _open(_package(), now=datetime(2026, 5, 10, 9, 0))

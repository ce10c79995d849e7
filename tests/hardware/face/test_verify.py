"""1:1 and 1:N on the shared photos: genuine pairs are never rejected, impostors never pass."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from hardware.face import (
    Decision,
    FaceEncoding,
    FaceEngine,
    FaceError,
    FaceThresholds,
    Gallery,
)
from hardware.face.verdict import decide

from .conftest import identity


def test_genuine_pairs_never_rejected_and_impostors_never_accepted(
    references: dict[str, FaceEncoding],
) -> None:
    thresholds = FaceThresholds()
    outcomes: dict[tuple[bool, Decision], int] = {}
    for (a, x), (b, y) in itertools.combinations(references.items(), 2):
        genuine = a.rsplit("_", 1)[0] == b.rsplit("_", 1)[0]
        decision = decide(x.distance(y), thresholds)
        outcomes[(genuine, decision)] = outcomes.get((genuine, decision), 0) + 1
    assert outcomes.get((False, Decision.MATCH), 0) == 0  # false accepts
    assert outcomes.get((False, Decision.UNSURE), 0) == 0
    assert outcomes.get((True, Decision.NO_MATCH), 0) == 0  # false rejects
    genuine_matches = outcomes.get((True, Decision.MATCH), 0)
    assert genuine_matches >= 12, outcomes  # at most 2 of 14 go to manual review


def test_verify_live_photo_against_roster_and_chip(
    engine: FaceEngine, faces_dir: Path, references: dict[str, FaceEncoding]
) -> None:
    probe = (faces_dir / "single" / "obama_2.jpg").read_bytes()
    verdicts = engine.verify_references(
        probe, {"roster": references["obama_1"], "chip": references["biden_1"]}
    )
    roster, chip = verdicts
    assert (roster.reference_kind, roster.decision) == ("roster", Decision.MATCH)
    assert (chip.reference_kind, chip.decision) == ("chip", Decision.NO_MATCH)
    assert roster.similarity_pct is not None and roster.similarity_pct >= 70
    assert chip.similarity_pct is not None and chip.similarity_pct <= 50
    assert "报名照片" in roster.message_zh and "roster photo" in roster.message_en
    assert "人工" in chip.message_zh
    # The probe was encoded once and is handed back for the 1:N search.
    assert roster.probe_encoding is not None and roster.probe_encoding == chip.probe_encoding
    assert roster.to_dict()["decision"] == "match"


def test_search_flags_a_registered_impostor(
    engine: FaceEngine, references: dict[str, FaceEncoding]
) -> None:
    # Someone presents Biden's card but is Obama, who is registered under his own name.
    gallery = Gallery.from_encodings({k: v for k, v in references.items() if k != "obama_2"})
    matches = engine.search(references["obama_2"], gallery, top=3)
    assert [identity(Path(m.candidate_id)) for m in matches] == ["obama"] * 3
    assert matches[0].decision is Decision.MATCH
    assert matches == sorted(matches, key=lambda m: m.distance)
    strangers = Gallery.from_encodings({k: v for k, v in references.items() if "obama" not in k})
    assert engine.search(references["obama_2"], strangers, top=1)[0].decision is Decision.NO_MATCH
    assert engine.search(references["obama_2"], Gallery.from_encodings({}), top=3) == []


def test_encoding_survives_storage_and_refuses_damage(references: dict[str, FaceEncoding]) -> None:
    original = references["rose_leslie_1"]
    stored = original.to_bytes()
    assert FaceEncoding.from_bytes(stored) == original
    damaged = [stored[:-1], b"XXXX" + stored[4:], stored[:20] + b"\xff" + stored[21:]]
    nan = bytearray(stored)
    nan[-8:] = b"\x00\x00\x00\x00\x00\x00\xf8\x7f"
    for bad in [*damaged, bytes(nan)]:
        with pytest.raises(FaceError) as caught:
            FaceEncoding.from_bytes(bad)
        assert caught.value.reason == "bad_encoding" and caught.value.zh


def test_venue_thresholds_move_the_decision(references: dict[str, FaceEncoding]) -> None:
    distance = references["obama_1"].distance(references["obama_2"])
    strict = FaceThresholds.from_mapping({"match_max": distance - 0.01, "no_match_min": 0.6})
    assert decide(distance, FaceThresholds()) is Decision.MATCH
    assert decide(distance, strict) is Decision.UNSURE
    with pytest.raises(ValueError, match="unknown"):
        FaceThresholds.from_mapping({"match_maximum": 0.4})
    with pytest.raises(ValueError):
        FaceThresholds.from_mapping({"match_max": 0.7, "no_match_min": 0.6})

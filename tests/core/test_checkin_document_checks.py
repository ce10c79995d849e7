"""What the station recommends for each outcome of the chip checks (issue 14): a failed
check refuses, a check that could not be made asks for review, only a clean pass admits."""

from __future__ import annotations

import pytest

from examkiosk.core.checkin import _recommend
from examkiosk.core.face_check import FaceCheck, FaceResult
from hardware.cards.document import (
    Check,
    CheckResult,
    DocumentType,
    IdentityDocument,
    PassiveAuth,
    ReadingMethod,
)

MATCH = FaceResult((FaceCheck("roster", "match", 0.3, 90.0, "一致", "match"),), ())


def _passport(passive: PassiveAuth, *results: tuple[str, CheckResult]) -> IdentityDocument:
    return IdentityDocument(
        doc_type=DocumentType.PASSPORT,
        number="E12345678",
        name="ZHANG WEI",
        reading_method=ReadingMethod.PCSC_EMRTD_BAC,
        passive_auth=passive,
        checks=tuple(Check(kind, result, "", "") for kind, result in results),
    )


@pytest.mark.parametrize(
    ("passive", "active", "chip", "expected"),
    [
        (PassiveAuth.PASSED, CheckResult.PASSED, CheckResult.PASSED, "admit"),
        (PassiveAuth.PASSED, CheckResult.NOT_SUPPORTED, CheckResult.NOT_SUPPORTED, "admit"),
        (PassiveAuth.NO_CSCA, CheckResult.PASSED, CheckResult.PASSED, "review"),
        (PassiveAuth.UNKNOWN_CSCA, CheckResult.PASSED, CheckResult.PASSED, "review"),
        (PassiveAuth.NOT_CHECKED, CheckResult.PASSED, CheckResult.PASSED, "review"),
        (PassiveAuth.PASSED, CheckResult.NOT_CHECKED, CheckResult.PASSED, "review"),
        (PassiveAuth.PASSED, CheckResult.PASSED, CheckResult.FAILED, "refuse"),
        (PassiveAuth.PASSED, CheckResult.FAILED, CheckResult.NOT_SUPPORTED, "refuse"),
        (PassiveAuth.FAILED, CheckResult.PASSED, CheckResult.PASSED, "refuse"),
    ],
)
def test_recommendation_follows_the_chip_checks(
    passive: PassiveAuth, active: CheckResult, chip: CheckResult, expected: str
) -> None:
    doc = _passport(passive, ("active", active), ("chip", chip))
    assert _recommend(MATCH, doc) == expected


def test_resident_id_without_passive_authentication_is_still_admitted() -> None:
    doc = IdentityDocument(
        doc_type=DocumentType.CN_RESIDENT_ID,
        number="110101199003070018",
        name="张伟",
        reading_method=ReadingMethod.GAT467_SERIAL,
    )
    assert _recommend(MATCH, doc) == "admit"

"""Manual entry: GB 11643 check digit as typed, last digits + roster pick."""

from __future__ import annotations

import pytest

from hardware.cards.document import DocumentType, ReadingMethod
from hardware.cards.errors import InvalidIdNumber
from hardware.cards.manual import (
    check_digit,
    check_partial,
    manual_document,
    match_last_digits,
    validate_cn_id,
)


def test_check_digit_of_published_examples() -> None:
    assert check_digit("11010519491231002") == "X"  # GB 11643-1999 annex example
    assert check_digit("44052418800101001") == "4"
    assert validate_cn_id(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("11010519491231002", "18"),
        ("110105194912310021", "check digit"),
        ("110105194913310024", "birth date"),
        ("010105194912310021", "region"),
        ("1101051949X231002X", "18"),
    ],
)
def test_invalid_numbers_say_what_is_wrong(number: str, fragment: str) -> None:
    with pytest.raises(InvalidIdNumber) as info:
        validate_cn_id(number)
    assert fragment in info.value.en
    assert info.value.zh


def test_typing_feedback_flags_a_mistake_as_soon_as_it_is_certain() -> None:
    assert check_partial("1101").ok_so_far
    assert not check_partial("11010519491331").ok_so_far  # month 13
    assert not check_partial("1101X").ok_so_far
    done = check_partial("11010519491231002X")
    assert done.ok_so_far and done.complete
    wrong = check_partial("110105194912310021")
    assert not wrong.ok_so_far and "校验位" in wrong.message_zh


def test_last_digits_pick_candidates_from_the_roster() -> None:
    roster = ["11010519491231002X", "440524188001010014", "110108199001151234"]
    assert match_last_digits("002x", roster) == ["11010519491231002X"]
    assert match_last_digits("1234", roster) == ["110108199001151234"]
    with pytest.raises(InvalidIdNumber):
        match_last_digits("34", roster)


def test_manual_document_records_the_reason() -> None:
    doc = manual_document("11010519491231002X", "王芳", "临时身份证")
    assert doc.reading_method == ReadingMethod.MANUAL and doc.doc_type == DocumentType.MANUAL
    assert doc.extra["manual_reason"] == "临时身份证"
    assert doc.birth_date is not None and doc.birth_date.isoformat() == "1949-12-31"
    with pytest.raises(InvalidIdNumber):
        manual_document("11010519491231002X", "王芳", "  ")

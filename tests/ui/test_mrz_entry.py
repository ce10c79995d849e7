"""The chip key box at the door: MRZ typed or scanned (TD3 passports, TD1 ID cards) with
check digits verified before the chip is touched, or the ID card's CAN. Keyboard only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from examkiosk.ui.door.mrz_entry import MrzEntry
from examkiosk.ui.i18n import set_language
from hardware.cards.mrz import BacKey, CanKey, check_digit

TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",  # ICAO 9303-5 specimen ID card
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)


def _box(qtbot: QtBot, themed_app: QApplication) -> tuple[MrzEntry, list[object]]:
    box = MrzEntry()
    qtbot.addWidget(box)
    box.ask()
    entered: list[object] = []
    box.key_entered.connect(entered.append)
    return box, entered


def _type(qtbot: QtBot, field: object, text: str) -> None:
    field.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_scanned_id_card_zone_gives_its_key(qtbot: QtBot, themed_app: QApplication) -> None:
    box, entered = _box(qtbot, themed_app)
    _type(qtbot, box.field, "".join(TD1[:2]))  # a scanner sending the first two lines
    assert entered == [BacKey("D23145890", "740812", "120415")]
    _type(qtbot, box.field, "".join(TD1))
    assert entered[-1] == BacKey("D23145890", "740812", "120415")


def test_id_card_zone_with_a_wrong_composite_digit_is_refused(
    qtbot: QtBot, themed_app: QApplication
) -> None:
    set_language("en")
    box, entered = _box(qtbot, themed_app)
    _type(qtbot, box.field, TD1[0] + TD1[1][:29] + "5")
    assert entered == [] and "check digits" in box.feedback.text()


def test_long_id_card_number_continues_in_the_optional_field(
    qtbot: QtBot, themed_app: QApplication
) -> None:
    number = "D231458907AB"
    head, tail = number[:9], number[9:] + check_digit(number)
    line1 = f"I<UTO{head}<{tail}".ljust(30, "<")
    line2 = "7408122F1204159UTO<<<<<<<<<<<"
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    box, entered = _box(qtbot, themed_app)
    _type(qtbot, box.field, line1 + line2 + check_digit(composite))
    assert entered == [BacKey(number, "740812", "120415")]


def test_can_box_takes_six_digits_only(qtbot: QtBot, themed_app: QApplication) -> None:
    set_language("en")
    box, entered = _box(qtbot, themed_app)
    _type(qtbot, box.can, "12345")
    assert entered == [] and "6 digits" in box.feedback.text()
    _type(qtbot, box.can, "482913")
    assert entered == [CanKey("482913")]
    box.field.clear()
    qtbot.mouseClick(box.ok, Qt.MouseButton.LeftButton)  # only the CAN filled: the button reads it
    assert entered[-1] == CanKey("482913")

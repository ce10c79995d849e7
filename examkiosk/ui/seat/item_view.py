"""One item on screen: its case or shared options, stem, images and answer buttons.

Options are shown in the candidate's (shuffled) order and labelled A, B, C... by position;
what is emitted and saved is always the package's option key.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QFrame,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.paper import KIND_TITLES, Item, Media
from examkiosk.ui.i18n import tr
from examkiosk.ui.widgets import pixmap_from_bytes

LABELS = "ABCDEFGHIJ"
# A stem that carries its own number ("12. 下列…", "12、…") would be numbered twice.
_LEADING_NUMBER = re.compile(r"^\s*\d{1,4}\s*[.、．)）]\s*")


def plain_stem(stem: str) -> str:
    return _LEADING_NUMBER.sub("", stem, count=1)


def group_caption(kind: str, first: int, last: int) -> str:
    """ "第21–23题共用题干" (or 备选答案 for B1), the range the shared part applies to."""
    numbers = f"{first}–{last}" if last > first else f"{first}"
    if kind == "B1":
        return tr(f"第{numbers}题共用备选答案", f"Items {numbers} share these options")
    return tr(f"第{numbers}题共用题干", f"Items {numbers} share this case")


def _image(media: Media | None) -> QLabel | None:
    if media is None:
        return None
    try:
        pixmap = pixmap_from_bytes(media.data())
    except Exception:  # a damaged image must not hide the item's text
        pixmap = None
    widget = QLabel()
    if pixmap is None:
        widget.setText(
            tr("（图片无法显示，请举手示意监考员）", "(image cannot be shown; raise your hand)")
        )
        return widget
    if pixmap.width() > 720:
        pixmap = pixmap.scaledToWidth(720, Qt.TransformationMode.SmoothTransformation)
    widget.setPixmap(pixmap)
    return widget


class OptionRadio(QRadioButton):
    """An option row: a click anywhere on the row chooses it. Qt's own hit area is only the
    circle and the text, so a click on the row's empty right half did nothing."""

    def hitButton(self, pos: QPoint) -> bool:
        return self.rect().contains(pos)


class OptionCheck(QCheckBox):
    """An X-item option row (several answers): the whole row toggles it."""

    def hitButton(self, pos: QPoint) -> bool:
        return self.rect().contains(pos)


class ItemView(QWidget):
    """Shows one item; `answer_changed(keys)` when the candidate changes the answer."""

    answer_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item: Item | None = None
        self.stem: QLabel | None = None
        self.group_caption: QLabel | None = None
        self._buttons: list[QAbstractButton] = []
        self._group: QButtonGroup | None = None
        self._layout = QVBoxLayout(self)
        # No AlignTop on the layout: an aligned item gets its plain size hint, and a wrapped
        # label's hint is too short at large fonts (the case text was cut). A stretch at
        # the end packs the item at the top instead.
        self._layout.setSpacing(10)

    def show_item(
        self,
        item: Item,
        number: int,
        answer: list[str],
        locked: bool,
        group_numbers: tuple[int, int] | None = None,
    ) -> None:
        """Show `item` as number `number`; `group_numbers` (first, last) is the range of
        items sharing its case or B1 options, shown once in a pane of its own."""
        self.item = item
        while self._layout.count():
            child = self._layout.takeAt(0).widget()
            if child is not None:
                child.hide()  # gone at once: deleteLater waits for the event loop
                child.deleteLater()
        self._buttons = []
        self.group_caption: QLabel | None = None
        kind_zh, kind_en = KIND_TITLES[item.kind]
        tag = QLabel(tr(kind_zh, kind_en))
        tag.setProperty("role", "muted")
        self._layout.addWidget(tag)
        if item.group is not None and (item.group.stem or item.kind == "B1"):
            self._layout.addWidget(self._group_pane(item, group_numbers or (number, number)))
        stem = QLabel(f"{number}. {plain_stem(item.stem)}")
        stem.setObjectName("stem")
        self.stem = stem
        stem.setWordWrap(True)
        stem.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self._layout.addWidget(stem)
        if (picture := _image(item.image)) is not None:
            self._layout.addWidget(picture)
        self._group = QButtonGroup(self)
        self._group.setExclusive(not item.multiple)
        shared = item.kind == "B1" and item.group is not None
        for position, option in enumerate(item.options):
            # B1 options are listed once, in the group's pane; each item answers by letter.
            text = LABELS[position] if shared else f"{LABELS[position]}. {option.text}"
            button: QAbstractButton = OptionCheck(text) if item.multiple else OptionRadio(text)
            button.setObjectName(f"option_{LABELS[position]}")
            button.setProperty("key", option.key)
            button.setChecked(option.key in answer)
            button.setEnabled(not locked)
            button.clicked.connect(self._emit)
            self._group.addButton(button, position)
            self._buttons.append(button)
            self._layout.addWidget(button)
            if (picture := _image(item.option_images.get(option.key))) is not None:
                self._layout.addWidget(picture)
        if item.multiple:
            hint = QLabel(tr("本题为多选题：选出所有正确答案。", "Choose every correct answer."))
            hint.setProperty("role", "muted")
            self._layout.addWidget(hint)
        if locked:
            note = QLabel(tr("本部分已锁定，答案不能修改。", "This section is locked."))
            note.setProperty("role", "error")
            self._layout.addWidget(note)
        self._layout.addStretch(1)

    def _group_pane(self, item: Item, numbers: tuple[int, int]) -> QFrame:
        assert item.group is not None
        pane = QFrame()
        pane.setObjectName("group_pane")
        pane.setProperty("role", "case")
        box = QVBoxLayout(pane)
        box.setContentsMargins(12, 8, 12, 10)
        caption = QLabel(group_caption(item.kind, *numbers))
        caption.setObjectName("group_caption")
        self.group_caption = caption
        caption.setProperty("role", "muted")
        box.addWidget(caption)
        if item.kind == "B1":
            text = "\n".join(f"{LABELS[n]}. {o.text}" for n, o in enumerate(item.options))
            if item.group.stem:
                text = item.group.stem + "\n" + text
        else:
            text = item.group.stem
        body = QLabel(text)
        body.setObjectName("group_stem")
        body.setWordWrap(True)
        box.addWidget(body)
        if (picture := _image(item.group.image)) is not None:
            box.addWidget(picture)
        return pane

    def answer(self) -> list[str]:
        return sorted(str(b.property("key")) for b in self._buttons if b.isChecked())

    def set_answer(self, keys: list[str]) -> None:
        """Show `keys` as chosen without emitting (e.g. after a refused save)."""
        if self._group is not None:
            self._group.setExclusive(False)
        for button in self._buttons:
            button.setChecked(str(button.property("key")) in keys)
        if self._group is not None and self.item is not None:
            self._group.setExclusive(not self.item.multiple)

    def choose(self, position: int) -> None:
        """The keyboard's A-E / 1-5: select (or, for X, toggle) the option at `position`."""
        if 0 <= position < len(self._buttons) and self._buttons[position].isEnabled():
            button = self._buttons[position]
            button.setFocus()
            button.click()

    def clear(self) -> None:
        if self._buttons and self._buttons[0].isEnabled() and self.answer():
            self.set_answer([])
            self.answer_changed.emit([])

    def _emit(self) -> None:
        self.answer_changed.emit(self.answer())

    def focus_first(self) -> None:
        checked = next((b for b in self._buttons if b.isChecked()), None)
        target = checked or (self._buttons[0] if self._buttons else None)
        if target is not None:
            # A button just added to a visible layout is shown only by a queued event; focus
            # given to it before that is lost when the old item's buttons are deleted.
            for button in self._buttons:
                button.show()
            target.setFocus()

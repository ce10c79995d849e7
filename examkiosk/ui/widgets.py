"""Small building blocks the screens share: bilingual texts, big buttons, photo boxes.

`Texts` remembers which text goes where, so switching language re-sets every label without
rebuilding a screen (a candidate mid-exam or a pending verdict keeps its state).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOption,
    QVBoxLayout,
    QWidget,
)

from examkiosk.ui.i18n import tr

if TYPE_CHECKING:
    from sync.media import Volume


class Texts:
    """Setters bound to a (zh, en) pair; `apply()` re-sets them in the current language."""

    def __init__(self) -> None:
        self._bound: list[tuple[Callable[[str], Any], str, str]] = []

    def bind(self, setter: Callable[[str], Any], zh: str, en: str) -> None:
        self._bound.append((setter, zh, en))
        setter(tr(zh, en))

    def apply(self) -> None:
        for setter, zh, en in self._bound:
            setter(tr(zh, en))


def set_role(widget: QWidget, role: str) -> None:
    """Set the stylesheet role and re-polish so the new look shows at once."""
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def label(texts: Texts, zh: str, en: str, role: str = "", wrap: bool = True) -> QLabel:
    widget = QLabel()
    texts.bind(widget.setText, zh, en)
    widget.setWordWrap(wrap)
    if role:
        widget.setProperty("role", role)
    return widget


def button(texts: Texts, zh: str, en: str, role: str = "", name: str = "") -> QPushButton:
    """A big push button. A `primary` one is its dialog's default: Enter presses it from
    any field. Without that, QDialog makes the first auto-default button in the focus chain
    the default, which in a "取消 | 确定" row is 取消 (Enter quit the kiosk at start-up)."""
    widget = QPushButton()
    texts.bind(widget.setText, zh, en)
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    if role:
        widget.setProperty("role", role)
    # Outside a dialog this flag does nothing; inside one, QPushButton re-registers itself
    # as the dialog's main default when it is reparented into it.
    widget.setDefault(role == "primary")
    if name:
        widget.setObjectName(name)
    return widget


def card(*children: QWidget, margins: int = 14, stretch: bool = False) -> QFrame:
    """A white rounded panel holding `children` top to bottom (`stretch`: packed at the top)."""
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(margins, margins, margins, margins)
    layout.setSpacing(10)
    for child in children:
        layout.addWidget(child)
    if stretch:
        layout.addStretch(1)
    return frame


def start_folder(
    writable: bool = False,
    *,
    volumes: Sequence[Volume] | None = None,
    home: Path | None = None,
) -> Path:
    """Where a file dialog opens: the first removable drive (the USB stick packages and
    bundles travel on), else the home folder. `writable`: skip read-only drives.

    `volumes` (default: `sync.media.list_removable_volumes()`, in mount order) and `home`
    (default: the user's) are for the tests, which give a recorded /proc + /sys layout."""
    from sync.media import list_removable_volumes

    for volume in list_removable_volumes() if volumes is None else volumes:
        if not (writable and volume.read_only):
            return volume.mount_point
    return Path.home() if home is None else home


def pixmap_from_bgr(image: Any) -> QPixmap:
    """A QPixmap of an OpenCV BGR (or grey) image; the pixels are copied."""
    import numpy as np

    array = np.ascontiguousarray(image)
    if array.ndim == 2:
        height, width = array.shape
        qimage = QImage(
            array.data, width, height, array.strides[0], QImage.Format.Format_Grayscale8
        )
    else:
        height, width = array.shape[:2]
        qimage = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_BGR888)
    return QPixmap.fromImage(qimage.copy())


def pixmap_from_bytes(data: bytes | None) -> QPixmap | None:
    """A QPixmap of an encoded image (JPEG/PNG), or None if it is missing or undecodable."""
    if not data:
        return None
    pixmap = QPixmap()
    return pixmap if pixmap.loadFromData(data) else None


class PhotoBox(QWidget):
    """A photo slot that scales its picture to the space it gets (aspect kept, never
    cropped), with a plain-words placeholder when there is no picture.

    The picture is painted, not set on a QLabel: a label's size hint is its pixmap's size,
    which would push the layout (and the window) to grow with every bigger photo.
    `width` x `height` is the preferred size; it shrinks to `minimum` (default half of it).
    """

    def __init__(
        self,
        width: int,
        height: int,
        parent: QWidget | None = None,
        minimum: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setProperty("role", "photo")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._preferred = QSize(width, height)
        low = minimum or (max(48, width // 2), max(48, height // 2))
        self.setMinimumSize(*low)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None
        self._placeholder = ""

    def sizeHint(self) -> QSize:
        return self._preferred

    def show_pixmap(self, pixmap: QPixmap | None, placeholder: str = "") -> None:
        self._pixmap = None if pixmap is None or pixmap.isNull() else pixmap
        self._placeholder = placeholder
        self.update()

    def placeholder(self) -> str:
        return "" if self.has_picture() else self._placeholder

    def has_picture(self) -> bool:
        return self._pixmap is not None

    def picture_rect(self) -> QRect:
        """Where the picture is drawn: the largest rectangle of its aspect inside the slot."""
        area = self.contentsRect().adjusted(2, 2, -2, -2)
        if self._pixmap is None:
            return area
        size = self._pixmap.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = area.x() + (area.width() - size.width()) // 2
        y = area.y() + (area.height() - size.height()) // 2
        return QRect(x, y, size.width(), size.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        option = QStyleOption()
        option.initFrom(self)
        painter = QPainter(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, self)
        if self._pixmap is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(self.picture_rect(), self._pixmap)
        elif self._placeholder:
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(
                self.contentsRect().adjusted(8, 8, -8, -8),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                self._placeholder,
            )
        painter.end()

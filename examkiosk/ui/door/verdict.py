"""The verdict panel, laid out like a 人证核验 terminal: chip photo, roster photo and live
snapshot side by side with each pair's similarity, the 1:N look-alikes with their photos,
the colour-coded recommendation, and the invigilator's admit / refuse."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.checkin import Assessment
from examkiosk.ui import theme
from examkiosk.ui.i18n import language, tr
from examkiosk.ui.widgets import (
    PhotoBox,
    Texts,
    button,
    label,
    pixmap_from_bgr,
    pixmap_from_bytes,
    set_role,
)

REFERENCE = {"roster": ("名单照片", "Roster photo"), "chip": ("证件芯片照片", "Chip photo")}
DECISION = {
    "match": ("一致", "Match", theme.ADMIT),
    "no_match": ("不一致", "No match", theme.REFUSE),
    "unsure": ("不确定", "Unsure", theme.REVIEW),
    "bad_quality": ("画面不清", "Poor picture", theme.REVIEW),
    "unavailable": ("不可用", "Unavailable", theme.NEUTRAL),
}
BANNER = {
    "admit": ("建议放行：人脸与照片一致", "Admit: the face matches the photo"),
    "review": ("请人工核对照片后决定", "Compare the photo by eye, then decide"),
    "refuse": (
        "不建议放行：人脸、活体或证件核验未通过（见下方）",
        "Do not admit: the face, liveness or document check failed (see below)",
    ),
}
DOCUMENT = {
    "cn_resident_id": ("居民身份证", "Resident ID card"),
    "cn_foreign_permanent": ("外国人永久居留身份证", "Foreign permanent resident ID"),
    "cn_hmt_residence": ("港澳台居民居住证", "HK/Macao/Taiwan residence permit"),
    "passport": ("护照", "Passport"),
    "emrtd_id": ("电子身份证件", "Electronic ID card"),
    "national_eid": ("电子身份证件", "Electronic ID card"),
    "manual": ("证件号码", "ID number"),
}
LIVENESS = {
    "live": ("通过（检测到眨眼）", "passed (blink seen)", theme.ADMIT),
    "not_live": ("未通过", "failed", theme.REFUSE),
    "unsure": ("不确定", "unsure", theme.REVIEW),
    "unavailable": ("不可用", "unavailable", theme.NEUTRAL),
}


@dataclass(frozen=True)
class Prepared:
    """Everything the panel shows for one candidate, loaded off the GUI thread."""

    assessment: Assessment
    roster_photo: bytes | None
    live_image: Any  # BGR ndarray of the snapshot, or None
    suspects: tuple[tuple[str, str], ...]  # (name, ticket) of other candidates the face matches
    suspect_photos: tuple[bytes | None, ...] = ()  # their roster photos, same order
    late_entry_closed: datetime | None = None  # past the door's cut-off (package settings)


class PhotoTile(QWidget):
    """One photo of the 人证核验 row: the picture, its caption under it (never over it), and
    one line saying how it compares, or plainly what is missing."""

    def __init__(self, name: str, preferred: tuple[int, int], parent: QWidget | None = None):
        super().__init__(parent)
        self.photo = PhotoBox(*preferred, minimum=(72, 96))
        self.photo.setMaximumHeight(360)  # a tall screen gives the text the rest
        self.photo.setObjectName(f"{name}_photo")
        self.caption = QLabel()
        self.caption.setObjectName(f"{name}_caption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.caption.setStyleSheet("font-weight: bold;")
        self.note = QLabel()
        self.note.setObjectName(f"{name}_note")
        self.note.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.photo, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.note)

    def set_photo(self, caption: str, pixmap: QPixmap | None, missing: str, note: str = "") -> None:
        self.caption.setText(caption)
        self.photo.show_pixmap(pixmap, missing)
        self.note.setText(note)


def _pair_note(check: Any | None) -> str:
    """ "与现场抓拍：一致 87%" for one reference, coloured by the decision."""
    if check is None:
        return ""
    dec_zh, dec_en, colour = DECISION.get(
        check.decision, (check.decision, check.decision, theme.NEUTRAL)
    )
    similarity = f" {check.similarity_pct:.0f}%" if check.similarity_pct is not None else ""
    return (
        f"{html.escape(tr('与抓拍', 'vs live'))} "
        f"<b style='color:{colour}'>{html.escape(tr(dec_zh, dec_en))}{similarity}</b>"
    )


class VerdictPanel(QWidget):
    """Emits `decide_requested(admit, invigilator, reason)`; the door screen records it.

    The decision row (fields and 放行 / 拒绝入场) sits under a scroll area holding everything
    else, so however long the verdict text grows, the buttons stay on screen.
    """

    decide_requested = Signal(bool, str, str)
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = Texts()
        self.prepared: Prepared | None = None
        self._message: tuple[str, str, str] | None = None  # zh, en, colour
        self.title = label(self.texts, "核验结果", "Verdict", role="heading")
        self.banner = QLabel()
        self.banner.setObjectName("verdict_banner")
        self.banner.setWordWrap(True)
        self.banner.setProperty("role", "banner")
        self.chip_tile = PhotoTile("chip", (130, 160))
        self.roster_tile = PhotoTile("roster", (130, 160))
        self.live_tile = PhotoTile("live", (170, 160))
        self.chip_photo = self.chip_tile.photo
        self.roster_photo = self.roster_tile.photo
        self.live_photo = self.live_tile.photo
        photos = QHBoxLayout()
        photos.setSpacing(8)
        photos.addWidget(self.chip_tile, 3)
        photos.addWidget(self.roster_tile, 3)
        photos.addWidget(self.live_tile, 4)
        self.person = QLabel()
        self.person.setObjectName("verdict_person")
        self.person.setWordWrap(True)
        self.person.setTextFormat(Qt.TextFormat.RichText)
        self.checks = QLabel()
        self.checks.setObjectName("verdict_checks")
        self.checks.setWordWrap(True)
        self.checks.setTextFormat(Qt.TextFormat.RichText)
        self.lookalikes = QWidget()
        self.lookalikes.setObjectName("lookalikes")
        self._lookalike_rows = QVBoxLayout(self.lookalikes)
        self._lookalike_rows.setContentsMargins(0, 0, 0, 0)
        details = QWidget()
        details.setObjectName("verdict_details")
        details.setStyleSheet("QWidget#verdict_details { background: white; }")
        inner = QVBoxLayout(details)
        inner.setContentsMargins(0, 0, 6, 0)
        inner.addWidget(self.person)
        inner.addLayout(photos, 1)
        inner.addWidget(self.lookalikes)
        inner.addWidget(self.checks)
        inner.addStretch(0)
        self.details = QScrollArea()
        self.details.setObjectName("verdict_scroll")
        self.details.setWidgetResizable(True)
        self.details.setFrameShape(QFrame.Shape.NoFrame)
        self.details.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details.setWidget(details)
        self.details.setMinimumHeight(120)
        self.invigilator = QLineEdit()
        self.invigilator.setObjectName("invigilator")
        self.texts.bind(
            self.invigilator.setPlaceholderText, "监考员姓名或工号", "Invigilator name or number"
        )
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.texts.bind(
            self.reason.setPlaceholderText,
            "原因（拒绝或不按建议放行时必填）",
            "Reason (required to refuse, or to admit against the advice)",
        )
        self.error = QLabel()
        self.error.setObjectName("verdict_error")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()  # shown with a message only: an empty row would push the buttons
        self.admit = button(self.texts, "放行", "Admit", role="admit", name="admit")
        self.refuse = button(self.texts, "拒绝入场", "Refuse", role="refuse", name="refuse")
        self.clear_button = button(self.texts, "清除", "Clear", name="clear")
        self.admit.clicked.connect(lambda: self._request(True))
        self.refuse.clicked.connect(lambda: self._request(False))
        self.clear_button.clicked.connect(self._on_clear)
        actions = QHBoxLayout()
        actions.addWidget(self.admit, 2)
        actions.addWidget(self.refuse, 2)
        actions.addWidget(self.clear_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.banner)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.invigilator)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addLayout(actions)
        self.show_message(
            "请考生将身份证件放在读卡器上",
            "Ask the candidate to place the ID card on the reader",
            theme.NEUTRAL,
        )

    # -- what the door screen calls ------------------------------------------------------
    def show_prepared(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self._message = None
        self.reason.clear()
        self.show_error("")
        self._render()

    def show_message(self, zh: str, en: str, colour: str) -> None:
        """A state without a candidate to decide on (waiting, an error, a decision recorded)."""
        self.prepared = None
        self._message = (zh, en, colour)
        self.show_error("")
        self._render()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        ready = self.prepared is not None and not busy
        self.admit.setEnabled(ready)
        self.refuse.setEnabled(ready)

    def retranslate(self) -> None:
        self.texts.apply()
        self._render()

    # -- rendering ----------------------------------------------------------------------
    def _render(self) -> None:
        if self.prepared is None:
            zh, en, colour = self._message or ("", "", theme.NEUTRAL)
            self._banner(tr(zh, en), colour)
            self.chip_tile.set_photo(tr("证件芯片照片", "Chip photo"), None, tr("芯片照片", "Chip"))
            self.roster_tile.set_photo(tr("名单照片", "Roster photo"), None, tr("照片", "Photo"))
            self.live_tile.set_photo(tr("现场抓拍", "Live snapshot"), None, tr("抓拍", "Snapshot"))
            self.person.clear()
            self.checks.clear()
            self._show_lookalikes((), ())
            self.set_busy(False)
            return
        p = self.prepared
        a = p.assessment
        zh, en = BANNER[a.recommendation]
        if a.manual:
            zh, en = (
                "手工录入：请人工核对证件与照片",
                "Manual entry: check the document and photo by eye",
            )
        colour = theme.RECOMMENDATION_COLOURS[a.recommendation]
        if p.late_entry_closed is not None:
            closes = f"{p.late_entry_closed:%H:%M}"
            zh = f"已过入场截止时间 {closes}，放行须授权。{zh}"
            en = f"Entry closed at {closes}; admitting needs an override. {en}"
            colour = theme.REVIEW if a.recommendation == "admit" else colour
        self._banner(tr(zh, en), colour)
        by_reference = {c.reference: c for c in a.face.checks}
        if a.manual:
            chip_missing = tr("手工录入：没有读取证件芯片", "Typed by hand: no chip was read")
        else:
            chip_missing = tr("证件芯片中没有照片", "The chip holds no photo")
        self.chip_tile.set_photo(
            tr("证件芯片照片", "Chip photo"),
            pixmap_from_bytes(a.document.photo),
            chip_missing,
            _pair_note(by_reference.get("chip")),
        )
        self.roster_tile.set_photo(
            tr("名单照片", "Roster photo"),
            pixmap_from_bytes(p.roster_photo),
            tr("名单中没有该考生的照片", "The roster has no photo of this candidate"),
            _pair_note(by_reference.get("roster")),
        )
        live = a.face.liveness
        live_note = ""
        if live is not None:
            dec_zh, dec_en, colour = LIVENESS.get(
                live.decision, (live.decision, live.decision, theme.NEUTRAL)
            )
            live_note = (
                f"{html.escape(tr('活体', 'Liveness'))} "
                f"<b style='color:{colour}'>{html.escape(tr(dec_zh, dec_en))}</b>"
            )
        self.live_tile.set_photo(
            tr("现场抓拍", "Live snapshot"),
            pixmap_from_bgr(p.live_image) if p.live_image is not None else None,
            tr("摄像头没有拍到画面", "The camera took no picture"),
            live_note,
        )
        c = a.candidate
        method = tr("手工录入", "typed by hand") if a.manual else tr("读卡", "read from card")
        doc_name = DOCUMENT.get(a.document.doc_type.value, ("证件号码", "ID number"))
        self.person.setText(
            f"<span style='font-size:24px'><b>{html.escape(c.name)}</b></span>"
            f"&nbsp;&nbsp;{html.escape(tr('座位', 'Seat'))} <b>{html.escape(c.seat)}</b>"
            f"&nbsp;&nbsp;{html.escape(tr('准考证号', 'Ticket'))} <b>{html.escape(c.ticket)}</b><br>"
            f"<span style='color:#5b6776'>{html.escape(tr(*doc_name))}</span> "
            f"<b>{html.escape(a.document.number)}</b> · {html.escape(method)}"
        )
        self.checks.setText(self._checks_html(p))
        self._show_lookalikes(p.suspects, p.suspect_photos)
        self.set_busy(False)

    def _show_lookalikes(
        self, suspects: tuple[tuple[str, str], ...], photos: tuple[bytes | None, ...]
    ) -> None:
        """The 1:N look-alikes, each with their roster photo, so the invigilator can see who."""
        while self._lookalike_rows.count():
            widget = self._lookalike_rows.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for k, (name, ticket) in enumerate(suspects):
            row = QWidget()
            row.setObjectName("lookalike")
            box = QHBoxLayout(row)
            box.setContentsMargins(0, 0, 0, 0)
            photo = PhotoBox(72, 96, minimum=(72, 96))
            photo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            photo.show_pixmap(
                pixmap_from_bytes(photos[k] if k < len(photos) else None),
                tr("无照片", "No photo"),
            )
            text = QLabel(
                tr(
                    f"警告：画面中的人与名单中另一考生相似：{name}（{ticket}）",
                    f"Warning: the face resembles another candidate: {name} ({ticket})",
                )
            )
            text.setWordWrap(True)
            text.setStyleSheet(f"color: {theme.REFUSE}; font-weight: bold;")
            box.addWidget(photo)
            box.addWidget(text, 1)
            self._lookalike_rows.addWidget(row)
        self.lookalikes.setVisible(bool(suspects))

    def _checks_html(self, p: Prepared) -> str:
        lines = []
        for check in p.assessment.face.checks:
            ref_zh, ref_en = REFERENCE.get(check.reference, (check.reference, check.reference))
            dec_zh, dec_en, colour = DECISION.get(
                check.decision, (check.decision, check.decision, theme.NEUTRAL)
            )
            similarity = (
                tr(
                    f"（相似度 {check.similarity_pct:.0f}%）",
                    f" (similarity {check.similarity_pct:.0f}%)",
                )
                if check.similarity_pct is not None
                else ""
            )
            message = check.message_en if language() == "en" else check.message_zh
            lines.append(
                f"<p><b>{html.escape(tr(ref_zh, ref_en))}{tr('：', ': ')}</b>"
                f"<b style='color:{colour}'>{html.escape(tr(dec_zh, dec_en))}</b>{html.escape(similarity)}"
                f"<br><span style='color:#5b6776'>{html.escape(message)}</span></p>"
            )
        # The chip's own checks (passive, active, chip authentication, access) in words:
        # what failed is red, what could have been checked but was not is amber.
        chip_colours = {
            "passed": theme.ADMIT,
            "failed": theme.REFUSE,
            "not_checked": theme.REVIEW,
            "not_supported": "#5b6776",
        }
        for chip_check in p.assessment.document.checks:
            colour = chip_colours.get(chip_check.result.value, theme.NEUTRAL)
            lines.append(
                f"<p style='color:{colour}'>"
                + html.escape(tr(chip_check.zh, chip_check.en))
                + "</p>"
            )
        if p.assessment.document.passive_auth.value == "failed" and not any(
            c.kind == "passive" for c in p.assessment.document.checks
        ):
            lines.append(
                f"<p style='color:{theme.REFUSE}'><b>"
                + html.escape(
                    tr(
                        "证件芯片数据校验失败：芯片内容可能被篡改，请交主考处理。",
                        "The chip's data failed its signature check: it may be altered. "
                        "Call the chief invigilator.",
                    )
                )
                + "</b></p>"
            )
        live = p.assessment.face.liveness
        if live is not None:
            dec_zh, dec_en, colour = LIVENESS.get(
                live.decision, (live.decision, live.decision, theme.NEUTRAL)
            )
            message = live.message_en if language() == "en" else live.message_zh
            lines.append(
                f"<p><b>{html.escape(tr('活体检测：', 'Liveness: '))}</b>"
                f"<b style='color:{colour}'>{html.escape(tr(dec_zh, dec_en))}</b>"
                f"<br><span style='color:#5b6776'>{html.escape(message)}</span></p>"
            )
        return "".join(lines)

    def _banner(self, text: str, colour: str) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(f"background: {colour};")
        set_role(self.banner, "banner")

    def _request(self, admit: bool) -> None:
        self.show_error("")
        self.decide_requested.emit(
            admit, self.invigilator.text().strip(), self.reason.text().strip()
        )

    def _on_clear(self) -> None:
        self.show_message(
            "请考生将身份证件放在读卡器上",
            "Ask the candidate to place the ID card on the reader",
            theme.NEUTRAL,
        )
        self.cleared.emit()

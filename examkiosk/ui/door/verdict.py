"""The verdict panel: who the card names, roster photo beside the live snapshot, the face
checks, the colour-coded recommendation, and the invigilator's admit / refuse."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

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


class VerdictPanel(QWidget):
    """Emits `decide_requested(admit, invigilator, reason)`; the door screen records it."""

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
        self.roster_photo = PhotoBox(132, 170)
        self.live_photo = PhotoBox(226, 170)
        photos = QGridLayout()
        photos.addWidget(self.roster_photo, 0, 0)
        photos.addWidget(self.live_photo, 0, 1)
        photos.addWidget(label(self.texts, "名单照片", "Roster photo", role="muted"), 1, 0)
        photos.addWidget(label(self.texts, "现场抓拍", "Live snapshot", role="muted"), 1, 1)
        self.person = QLabel()
        self.person.setObjectName("verdict_person")
        self.person.setWordWrap(True)
        self.person.setTextFormat(Qt.TextFormat.RichText)
        photos.setColumnStretch(2, 1)
        self.checks = QLabel()
        self.checks.setObjectName("verdict_checks")
        self.checks.setWordWrap(True)
        self.checks.setTextFormat(Qt.TextFormat.RichText)
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
        layout.addLayout(photos)
        layout.addWidget(self.person)
        layout.addWidget(self.checks, 1)
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
        self.error.clear()
        self._render()

    def show_message(self, zh: str, en: str, colour: str) -> None:
        """A state without a candidate to decide on (waiting, an error, a decision recorded)."""
        self.prepared = None
        self._message = (zh, en, colour)
        self.error.clear()
        self._render()

    def show_error(self, text: str) -> None:
        self.error.setText(text)

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
            self.roster_photo.show_pixmap(None, tr("照片", "Photo"))
            self.live_photo.show_pixmap(None, tr("抓拍", "Snapshot"))
            self.person.clear()
            self.checks.clear()
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
        self._banner(tr(zh, en), theme.RECOMMENDATION_COLOURS[a.recommendation])
        self.roster_photo.show_pixmap(
            pixmap_from_bytes(p.roster_photo), tr("名单中无照片", "No roster photo")
        )
        self.live_photo.show_pixmap(
            pixmap_from_bgr(p.live_image) if p.live_image is not None else None,
            tr("无抓拍画面", "No snapshot"),
        )
        c = a.candidate
        method = tr("手工录入", "typed by hand") if a.manual else tr("读卡", "read from card")
        self.person.setText(
            f"<span style='font-size:24px'><b>{html.escape(c.name)}</b></span>"
            f"&nbsp;&nbsp;{html.escape(tr('座位', 'Seat'))} <b>{html.escape(c.seat)}</b>"
            f"&nbsp;&nbsp;{html.escape(tr('准考证号', 'Ticket'))} <b>{html.escape(c.ticket)}</b><br>"
            f"<span style='color:#5b6776'>{html.escape(tr('证件号码', 'ID number'))}</span> "
            f"<b>{html.escape(a.document.number)}</b> · {html.escape(method)}"
        )
        self.checks.setText(self._checks_html(p))
        self.set_busy(False)

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
        if p.assessment.document.passive_auth.value == "failed":
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
        for name, ticket in p.suspects:
            lines.append(
                f"<p style='color:{theme.REFUSE}'><b>"
                + html.escape(
                    tr(
                        f"警告：画面中的人与名单中另一考生相似：{name}（{ticket}）",
                        f"Warning: the face resembles another candidate: {name} ({ticket})",
                    )
                )
                + "</b></p>"
            )
        return "".join(lines)

    def _banner(self, text: str, colour: str) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(f"background: {colour};")
        set_role(self.banner, "banner")

    def _request(self, admit: bool) -> None:
        self.error.clear()
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

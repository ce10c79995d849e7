"""考试须知: what the candidate reads at the seat before the sitting starts, with a countdown.

At the start the seat opens the paper by itself (`started`); the candidate has nothing to
press, so nobody starts early or late by a click.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from examkiosk.ui.i18n import tr

RULES = (
    (
        "请核对屏幕上的姓名、座位号和照片是否为本人，如有不符请立即举手。",
        "Check that the name, seat and photo on screen are yours; if not, raise your hand.",
    ),
    (
        "考试开始后系统自动计时，时间到时自动交卷；中途离开座位须经监考员同意。",
        "The clock starts with the exam and submits automatically at the end; leave your "
        "seat only with the invigilator's permission.",
    ),
    (
        "每道题的答案选择后即自动保存，可随时修改；可用“标记”记下需要复查的题。",
        "Every answer is saved as soon as you choose it and can be changed; use Flag to "
        "mark items to check again.",
    ),
    (
        "可用 A−/A+ 调整字号，“高对比度”切换配色；键盘 A–E 选择答案，←/→ 翻题。",
        "A−/A+ change the text size, High contrast the colours; keys A–E choose, ←/→ move.",
    ),
    (
        "考试期间禁止使用手机等通讯工具，禁止交谈；监考摄像头会定时抓拍。",
        "No phones or talking during the exam; the proctoring camera takes pictures.",
    ),
    (
        "交卷后请记下屏幕上的校验码，举手示意监考员后离开。",
        "After submitting, note the check code on screen and raise your hand before leaving.",
    ),
)


def format_countdown(ms: int) -> str:
    seconds = max(0, ms + 999) // 1000  # 0:00:01 until the very last moment
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class RulesPage(QWidget):
    started = Signal()  # the countdown reached the start
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("rules_title")
        self.title.setProperty("role", "heading")
        self.who = QLabel()
        self.who.setProperty("role", "muted")
        self.rules = QLabel()
        self.rules.setObjectName("rules_text")
        self.rules.setWordWrap(True)
        self.rules.setTextFormat(Qt.TextFormat.RichText)
        self.rules.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.countdown = QLabel()
        self.countdown.setObjectName("countdown")
        self.countdown.setProperty("role", "timer")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.back_button = QPushButton()
        self.back_button.setObjectName("rules_back")
        self.back_button.clicked.connect(self.back)
        panel = QFrame()
        panel.setObjectName("panel")
        box = QVBoxLayout(panel)
        box.setContentsMargins(24, 16, 24, 16)
        box.addWidget(self.rules)
        scroll = QScrollArea()
        scroll.setObjectName("rules_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(panel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.who)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.countdown)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._start: datetime | None = None
        self._now_at_show: datetime | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._tick)
        self._elapsed_base = 0.0
        self.retranslate()

    def show_until(self, start: datetime, now: datetime, who: str) -> None:
        """Count down from `now` (the station's clock) to `start`."""
        from time import monotonic

        self._start = start
        self._now_at_show = now
        self._elapsed_base = monotonic()
        self.who.setText(who)
        self.retranslate()
        self._tick()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def remaining_ms(self) -> int:
        from time import monotonic

        if self._start is None or self._now_at_show is None:
            return 0
        now = self._now_at_show + timedelta(seconds=monotonic() - self._elapsed_base)
        return max(0, int((self._start - now).total_seconds() * 1000))

    def retranslate(self) -> None:
        self.title.setText(tr("考试须知", "Exam rules"))
        items = "".join(f"<li style='margin-bottom:8px'>{tr(zh, en)}</li>" for zh, en in RULES)
        self.rules.setText(f"<ol>{items}</ol>")
        start = f"{self._start:%H:%M}" if self._start else ""
        self.caption.setText(tr(f"{start} 开考，距离开考还有", f"The exam starts at {start}; in"))
        self.back_button.setText(tr("不是本人？返回", "Not you? Back"))

    def _tick(self) -> None:
        left = self.remaining_ms()
        self.countdown.setText(format_countdown(left))
        if left <= 0 and self._timer.isActive():
            self._timer.stop()
            self.started.emit()

"""The admin screen's 同步状态 card: the sync with the centre said in words
(`core/sync_words.py`), the centre's address with a button to set it (`sync.settings`, through
the guard), and 立即同步. Sequence numbers stay in the command line and the logs.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from examkiosk.core.authz import Person
from examkiosk.core.station import Station
from examkiosk.core.sync_state import NoCentralConfigured, push_once
from examkiosk.core.sync_words import OK, PROBLEM, in_words
from examkiosk.ui import theme
from examkiosk.ui.admin.central_dialog import CentralAddressDialog
from examkiosk.ui.admin.summary import StationSummary
from examkiosk.ui.background_sync import BackgroundSync
from examkiosk.ui.i18n import tr
from examkiosk.ui.ops import Job, Operations
from examkiosk.ui.widgets import Texts, button, card, label
from sync.client import PassResult
from sync.worker import SyncStatus

Guarded = Callable[[str, tuple[str, str], Callable[[Any], None]], None]

_TONES = {OK: theme.ADMIT, PROBLEM: theme.REFUSE}


class SyncPanel(QWidget):
    """`show_summary(summary)` after each refresh; `show_live(status)` from the background
    sync."""

    def __init__(
        self,
        station: Station,
        ops: Operations,
        guarded: Guarded,
        refresh: Callable[[], None],
        background: BackgroundSync | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.station = station
        self.ops = ops
        self.guarded = guarded
        self.refresh = refresh
        self.background = background
        self.texts = Texts()
        self.summary: StationSummary | None = None
        self.live: SyncStatus | None = None
        self._result: tuple[str, str, str] = ("", "", theme.NEUTRAL)

        self.sync_words = QLabel()
        self.sync_words.setObjectName("sync_words")
        self.sync_words.setWordWrap(True)
        self.sync_info = QLabel()
        self.sync_info.setObjectName("sync_info")
        self.sync_info.setTextFormat(Qt.TextFormat.RichText)
        self.sync_info.setWordWrap(True)
        self.sync_button = button(
            self.texts, "立即同步", "Sync now", role="secondary", name="sync_now"
        )
        self.sync_button.clicked.connect(self.sync_now)
        self.address_button = button(
            self.texts, "设置考试中心地址…", "Set the centre's address…", name="central_address"
        )
        self.address_button.clicked.connect(self.ask_address)
        self.address_dialog: CentralAddressDialog | None = None
        self.sync_result = QLabel()
        self.sync_result.setObjectName("sync_result")
        self.sync_result.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sync_button)
        buttons.addWidget(self.address_button)
        buttons.addStretch(1)
        body = card(
            label(self.texts, "同步状态", "Sync status", role="heading"),
            self.sync_words,
            self.sync_info,
            self.sync_result,
            stretch=True,
        )
        body.layout().insertLayout(3, buttons)  # type: ignore[union-attr]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(body)
        if background is not None:
            background.status_changed.connect(self.show_live)
        # "3 分钟前" ages without any new status: say it again every half minute.
        self._clock = QTimer(self)
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self._render)
        self._clock.start()

    # -- the centre's address --
    def ask_address(self) -> None:
        self.guarded(
            "sync.settings", ("设置考试中心地址", "Set the centre's address"), self._edit_granted
        )

    def _edit_granted(self, person: Person | None) -> None:
        self.edit(person)

    def edit(self, person: Person | None) -> CentralAddressDialog:
        """The address dialog for `person` (None: a test driving the panel directly)."""
        s = self.summary
        self.address_dialog = CentralAddressDialog(
            self.station,
            self.ops,
            person,
            current=s.central_url if s else "",
            plain_http=s.dev_plain_http if s else False,
            parent=self,
        )
        self.address_dialog.saved.connect(self._address_saved)
        self.address_dialog.open()
        return self.address_dialog

    def _address_saved(self, url: str) -> None:
        self._set_result(
            f"考试中心地址已保存：{url}", f"The centre's address is saved: {url}", theme.ADMIT
        )
        background = self.background
        if background is not None:
            # Sync to the new address from now on; off the GUI thread, as stopping waits
            # for a pass in flight.
            def restart(_job: Job) -> bool:
                background.stop()
                return background.start()

            self.ops.run(restart, io=True)
        self.refresh()

    # -- sync now --
    def sync_now(self) -> Job:
        """One HTTP sync pass with the centre now (network and store: on the IO pool; the
        store's own lock keeps it safe beside the database thread)."""
        self.sync_button.setEnabled(False)
        self._set_result("正在同步……", "Syncing…", theme.NEUTRAL)

        def done(outcome: tuple[str, PassResult]) -> None:
            self.sync_button.setEnabled(True)
            _url, result = outcome
            if result.ok:
                self._set_result(
                    f"已同步：本次送达 {result.sent_events} 条记录。",
                    f"Synced: {result.sent_events} records delivered this time.",
                    theme.ADMIT,
                )
            else:
                self._set_result(result.error_zh, result.error, theme.REFUSE)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.sync_button.setEnabled(True)
            if isinstance(exc, NoCentralConfigured):  # its text names a command-line option
                self._set_result(
                    "尚未设置考试中心地址。请点“设置考试中心地址…”。",
                    "No exam centre address is set. Press “Set the centre's address…”.",
                    theme.REFUSE,
                )
            else:
                zh, en = getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc))
                self._set_result(zh, en, theme.REFUSE)
            self.refresh()

        return self.ops.run(lambda job: push_once(self.station), done, failed, io=True)

    # -- showing --
    def show_summary(self, summary: StationSummary) -> None:
        self.summary = summary
        self._render()

    def show_live(self, status: SyncStatus) -> None:
        self.live = status
        self._render()

    def retranslate(self) -> None:
        self.texts.apply()
        self._set_result(*self._result)
        self._render()

    def _set_result(self, zh: str, en: str, colour: str) -> None:
        self._result = (zh, en, colour)
        self.sync_result.setText(tr(zh, en))
        self.sync_result.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def _render(self) -> None:
        s = self.summary
        if s is None:
            return
        status = self.live or s.sync
        words = in_words(status, datetime.now().astimezone(), configured=bool(s.central_url))
        self.sync_words.setText(tr(words.zh, words.en))
        self.sync_words.setStyleSheet(
            f"color: {_TONES.get(words.tone, theme.NEUTRAL)}; font-weight: bold; font-size: 17px;"
        )
        rows = [
            (tr("考试中心地址", "Exam centre"), s.central_url or tr("未设置", "not set")),
        ]
        if s.dev_plain_http:  # the development switch: plain http to this machine (issue 10)
            rows.append(
                (
                    WARN,
                    tr(
                        "开发开关：允许明文 http（仅限本机）",
                        "development switch: plain http (this machine only)",
                    ),
                )
            )
        if self.live is not None:
            rows.append(
                (
                    tr("连接", "Connection"),
                    tr("同步中", "syncing")
                    if status.syncing
                    else (tr("在线", "online") if status.online else tr("离线", "offline")),
                )
            )
        rows.append((tr("本机记录", "Records here"), str(s.events)))
        rows.append((tr("抓拍照片", "Snapshots"), str(s.snapshots)))
        if status.last_error_zh or status.last_error:
            rows.append(
                (tr("上次问题", "Last problem"), tr(status.last_error_zh, status.last_error))
            )
        export = s.last_export
        rows.append(
            (
                tr("最近导出到U盘", "Last USB export"),
                tr(
                    f"{Path(str(export['path'])).name}（{export.get('events', '?')} 条记录，"
                    f"{_when(str(export.get('at', '')))}）",
                    f"{Path(str(export['path'])).name} ({export.get('events', '?')} records, "
                    f"{_when(str(export.get('at', '')))})",
                )
                if export
                else tr("尚未导出", "none yet"),
            )
        )
        self.sync_info.setText(table(rows))


def _when(stamp: str | None) -> str:
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


WARN = "⚠"


def table(rows: list[tuple[str, str]]) -> str:
    """Label/value rows as rich text (a WARN row's value in red)."""

    def value(k: str, v: str) -> str:
        red = " style='color:#c0392b'" if k == WARN else ""  # a warning row shows in red
        return f"<td{red}><b>{html.escape(v)}</b></td>"

    return (
        "<table cellspacing=6>"
        + "".join(
            f"<tr><td style='color:#5b6776'>{html.escape(k)}</td>{value(k, v)}</tr>"
            for k, v in rows
        )
        + "</table>"
    )

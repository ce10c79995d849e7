"""The admin screen's program-update panel: install a signed offline update from a USB drive.

`apply_file(path)` is what the button calls after its file dialog. The file is checked first
(centre's signature, newer version, no sitting in progress) without asking anyone to sign in;
only an update that would be accepted asks the guard for a venue administrator, and only
then does anything change (examkiosk/core/update.py). The new version runs from the next
start: the kiosk session restarts the window when "Restart now" closes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from examkiosk.core.station import Station
from examkiosk.core.update import (
    AppliedUpdate,
    Installation,
    apply_update,
    check_update,
    default_install_root,
)
from examkiosk.ui import theme
from examkiosk.ui.i18n import tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button, card, label
from sync.update import UPDATE_EXTENSION, UpdateMeta

log = logging.getLogger(__name__)

# The admin screen's `guarded(action, (zh, en), then)`.
Guarded = Callable[[str, tuple[str, str], Callable[[Any], None]], None]


class UpdatePanel(QWidget):
    applied = Signal(object)  # AppliedUpdate
    refused = Signal(str)  # the English message

    def __init__(
        self,
        station: Station,
        ops: Operations,
        guarded: Guarded,
        install: Installation | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.station = station
        self.ops = ops
        self.guarded = guarded
        self.install = install or Installation(default_install_root())
        self.texts = Texts()
        self._result: tuple[str, str, str] = ("", "", theme.NEUTRAL)
        self.versions = QLabel()
        self.versions.setObjectName("update_versions")
        self.choose_button = button(
            self.texts, "从U盘安装程序更新…", "Install update from USB…", name="install_update"
        )
        self.choose_button.clicked.connect(self._choose)
        self.restart_button = button(
            self.texts, "立即重新启动", "Restart now", role="secondary", name="restart_now"
        )
        self.restart_button.clicked.connect(lambda: QApplication.exit(0))
        self.restart_button.hide()
        self.result = QLabel()
        self.result.setObjectName("update_result")
        self.result.setWordWrap(True)
        # Compact (it shares a column with the bundle export at 1366x768): the rules are in
        # the button's tooltip and docs/install.md.
        self.texts.bind(
            self.choose_button.setToolTip,
            "更新文件（.eku）由考试中心签名；安装前核验，考试进行中不能安装，上一版本保留以便回退。",
            "Update files (.eku) are signed by the exam centre and checked before anything "
            "changes; never during a sitting; the previous version is kept for a roll-back.",
        )
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.versions, 1)
        row_layout.addWidget(self.choose_button)
        row_layout.addWidget(self.restart_button)
        self.result.hide()
        frame = card(
            label(self.texts, "程序更新", "Program update", role="heading"),
            row,
            self.result,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(frame)
        self.show_versions()

    def show_versions(self) -> None:
        previous = self.install.previous_version()
        self.versions.setText(
            tr(
                f"已安装版本 {self.install.installed_version()}"
                + (f"，可回退到 {previous}" if previous else ""),
                f"Installed version {self.install.installed_version()}"
                + (f"; can roll back to {previous}" if previous else ""),
            )
        )

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            tr("选择程序更新文件", "Choose the update file"),
            "",
            tr("程序更新", "Program update") + f" (*{UPDATE_EXTENSION})",
        )
        if path:
            self.apply_file(Path(path))

    def apply_file(self, path: Path) -> None:
        """Check `path`, then (signed-in administrator) install it; the result shows below."""
        self.choose_button.setEnabled(False)
        self._set_result("正在核验更新文件……", "Checking the update file…", theme.NEUTRAL)
        self.ops.run(
            lambda job: check_update(path, self.station, self.install),
            lambda meta: self._ask(path, meta),
            self._failed,
        )

    def _ask(self, path: Path, meta: UpdateMeta) -> None:
        self._set_result(
            f"更新文件有效：版本 {meta.version}。请管理员登录以安装。",
            f"The update is valid: version {meta.version}. An administrator signs in to install.",
            theme.NEUTRAL,
        )
        self.choose_button.setEnabled(True)
        self.guarded(
            "update.apply",
            ("安装程序更新", "Install a program update"),
            lambda person: self._install(path, person),
        )

    def _install(self, path: Path, person: Any) -> None:
        self.choose_button.setEnabled(False)
        self._set_result("正在安装……", "Installing…", theme.NEUTRAL)
        self.ops.run(
            lambda job: apply_update(path, self.station, person, self.install),
            self._installed,
            self._failed,
        )

    def _installed(self, applied: AppliedUpdate) -> None:
        self.choose_button.setEnabled(True)
        self.show_versions()
        self._set_result(
            f"已从 {applied.previous} 更新到 {applied.installed}，重新启动后生效。",
            f"Updated from {applied.previous} to {applied.installed}; takes effect after a "
            "restart.",
            theme.ADMIT,
        )
        self.restart_button.show()
        self.applied.emit(applied)

    def _failed(self, exc: BaseException) -> None:
        self.choose_button.setEnabled(True)
        zh, en = getattr(exc, "zh", None), getattr(exc, "en", None)
        if zh is None or en is None:  # an OSError while unpacking: the log keeps the detail
            log.error("update failed", exc_info=exc)
            zh, en = "安装失败，程序未改动。", "The update could not be installed; nothing changed."
        self._set_result(zh, en, theme.REFUSE)
        self.refused.emit(en)

    def retranslate(self) -> None:
        self.texts.apply()
        self.show_versions()
        self._set_result(*self._result)

    def _set_result(self, zh: str, en: str, colour: str) -> None:
        self._result = (zh, en, colour)
        self.result.setText(tr(zh, en))
        self.result.setVisible(bool(zh))
        self.result.setStyleSheet(f"color: {colour}; font-weight: bold;")

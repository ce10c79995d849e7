"""Asking for the venue administrator's recovery passphrase: to unlock the store at start-up
(where the OS has no key store), and to provision a station that has no staff accounts yet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from examkiosk.core.authz import RECOVERY, Person
from examkiosk.store import keys as store_keys
from examkiosk.ui.i18n import error_text
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button, label


class PassphraseDialog(QDialog):
    """Runs `check(passphrase)` off the GUI thread; accepts with its result in `.value`,
    or shows the error (a wrong passphrase changes nothing) and lets the user try again."""

    def __init__(
        self,
        check: Callable[[str], Any],
        ops: Operations,
        title: tuple[str, str],
        prompt: tuple[str, str],
        prefill: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.check = check
        self.ops = ops
        self.value: Any = None
        self.texts = Texts()
        self.texts.bind(self.setWindowTitle, *title)
        self.setMinimumWidth(520)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.texts.bind(self.passphrase.setPlaceholderText, "恢复口令", "Recovery passphrase")
        self.error = QLabel()
        self.error.setObjectName("passphrase_error")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.ok = button(self.texts, "确定", "OK", role="primary", name="passphrase_ok")
        cancel = button(self.texts, "取消", "Cancel", name="passphrase_cancel")
        self.ok.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        self.passphrase.returnPressed.connect(self.submit)
        actions = QHBoxLayout()
        actions.addWidget(cancel)
        actions.addWidget(self.ok)
        layout = QVBoxLayout(self)
        layout.addWidget(label(self.texts, *prompt))
        if prefill:
            self.passphrase.setText(prefill)
            layout.addWidget(
                label(
                    self.texts,
                    "演示考点：口令已自动填入。",
                    "Demo venue: the passphrase is filled in.",
                    role="muted",
                )
            )
        layout.addWidget(self.passphrase)
        layout.addWidget(self.error)
        layout.addLayout(actions)

    def show_error(self, text: str) -> None:
        self.error.setText(text)

    def submit(self) -> None:
        if not self.ok.isEnabled():
            return
        passphrase = self.passphrase.text()
        self.ok.setEnabled(False)
        self.error.clear()

        def done(value: Any) -> None:
            self.ok.setEnabled(True)
            self.value = value
            self.accept()

        def failed(exc: BaseException) -> None:
            self.ok.setEnabled(True)
            self.passphrase.selectAll()
            self.error.setText(error_text(exc))

        self.ops.run(lambda job: self.check(passphrase), done, failed)


class PassphraseGuard:
    """Before a station has any staff account (no package yet), the recovery passphrase
    stands in for a venue administrator — provisioning, the one daily use it keeps."""

    def __init__(self, keyslots: Path, ops: Operations, prefill: str | None = None) -> None:
        self.keyslots = keyslots
        self.ops = ops
        self.prefill = prefill
        self.dialog: PassphraseDialog | None = None

    def request(
        self,
        parent: QWidget,
        what: tuple[str, str],
        granted: Callable[[Person], None],
        action: str = "mode.admin",
    ) -> None:
        """Ask, non-modally; `granted(person)` runs only after a correct passphrase."""
        zh, en = what
        self.dialog = PassphraseDialog(
            lambda p: store_keys.key_from_passphrase(self.keyslots, p) and None,
            self.ops,
            ("考点部署确认", "Provisioning check"),
            (
                f"本机还没有工作人员账号（尚未导入考试包）。“{zh}”需要考点管理员恢复口令。",
                f"This station has no staff accounts yet (no package imported). “{en}” needs "
                "the venue administrator's recovery passphrase.",
            ),
            self.prefill,
            parent,
        )
        self.dialog.accepted.connect(lambda: granted(RECOVERY))
        self.dialog.open()

"""Staff sign-in in the window: the dialog (工号 + 密码, a new password when one is due), the
guard every privileged button goes through, and the session that remembers who is signed in.

Who may do what is decided in `examkiosk.core.authz`; this module only asks and shows. The
check runs off the GUI thread (scrypt takes a moment) through `Operations`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.accounts import Accounts, PasswordChangeRequired
from examkiosk.core.authz import Person, action_name, allowed, audit, require
from examkiosk.ui.i18n import error_text, language
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button, label

Granted = Callable[[Person], None]


class StaffSession(QObject):
    """Who is signed in at this window now (None: nobody; the door and admin screens lock)."""

    changed = Signal(object)

    def __init__(
        self, required: Callable[[], bool] = lambda: True, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.person: Person | None = None
        # False while the station has no accounts yet: nothing to sign in with, so no lock.
        self.required = required

    def set(self, person: Person | None) -> None:
        self.person = person
        self.changed.emit(person)


Check = Callable[[str, str, "str | None"], Any]


class SignInDialog(QDialog):
    """Asks for a staff number and password and runs `check(number, password, new_password)`
    off the GUI thread; accepts with its result in `.value` (and `.person`, when the result
    is or holds a Person). A PasswordChangeRequired shows the new-password fields. Enter
    signs in, Esc cancels; `alternative` adds a second way in (e.g. the recovery passphrase).
    """

    def __init__(
        self,
        check: Check,
        ops: Operations,
        what: tuple[str, str],
        parent: QWidget | None = None,
        *,
        intro: tuple[str, str] | None = None,
        alternative: tuple[tuple[str, str], Callable[[], None]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.check = check
        self.ops = ops
        self.value: Any = None
        self.person: Person | None = None
        self.texts = Texts()
        self.texts.bind(self.setWindowTitle, "工作人员登录", "Staff sign-in")
        self.setMinimumWidth(460)
        zh, en = what
        self.number = QLineEdit()
        self.number.setObjectName("signin_number")
        self.password = QLineEdit()
        self.password.setObjectName("signin_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password = QLineEdit()
        self.new_password.setObjectName("signin_new_password")
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("signin_repeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.form = QFormLayout()
        self.number_label = QLabel()
        self.password_label = QLabel()
        self.new_label = QLabel()
        self.repeat_label = QLabel()
        self.texts.bind(self.number_label.setText, "工号", "Staff number")
        self.texts.bind(self.password_label.setText, "密码", "Password")
        self.texts.bind(self.new_label.setText, "新密码", "New password")
        self.texts.bind(self.repeat_label.setText, "再输一次", "Repeat it")
        self.form.addRow(self.number_label, self.number)
        self.form.addRow(self.password_label, self.password)
        self.form.addRow(self.new_label, self.new_password)
        self.form.addRow(self.repeat_label, self.repeat)
        self._show_new(False)
        self.error = QLabel()
        self.error.setObjectName("signin_error")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.ok = button(self.texts, "登录", "Sign in", role="primary", name="signin_ok")
        cancel = button(self.texts, "取消", "Cancel", name="signin_cancel")
        # Enter anywhere in the dialog signs in; Esc (QDialog's own) cancels.
        self.ok.setDefault(True)
        self.ok.setAutoDefault(True)
        cancel.setAutoDefault(False)
        self.ok.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        actions = QHBoxLayout()
        if alternative is not None:
            (alt_zh, alt_en), chosen = alternative
            other = button(self.texts, alt_zh, alt_en, name="signin_alternative")
            other.setAutoDefault(False)
            other.clicked.connect(chosen)
            actions.addWidget(other)
        actions.addStretch(1)
        actions.addWidget(cancel)
        actions.addWidget(self.ok)
        layout = QVBoxLayout(self)
        intro_zh, intro_en = intro or (
            f"“{zh}”需要工作人员登录。",
            f"{en}: a member of staff signs in.",
        )
        layout.addWidget(label(self.texts, intro_zh, intro_en))
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addLayout(actions)
        self.number.setFocus()

    def _show_new(self, shown: bool) -> None:
        for widget in (self.new_label, self.new_password, self.repeat_label, self.repeat):
            widget.setVisible(shown)

    def submit(self) -> None:
        if not self.ok.isEnabled():
            return
        number, secret = self.number.text().strip(), self.password.text()
        new: str | None = None
        if not self.new_password.isHidden():
            if self.new_password.text() != self.repeat.text():
                self.error.setText(
                    "两次输入的新密码不一致。"
                    if language() != "en"
                    else "The new passwords differ."
                )
                return
            new = self.new_password.text()
        self.ok.setEnabled(False)
        self.error.clear()
        check = self.check

        def done(value: Any) -> None:
            self.ok.setEnabled(True)
            self.value = value
            if isinstance(value, Person):
                self.person = value
            elif isinstance(value, tuple):
                self.person = next((v for v in value if isinstance(v, Person)), None)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.ok.setEnabled(True)
            if isinstance(exc, PasswordChangeRequired):
                self._show_new(True)
                self.new_password.setFocus()
            else:
                self.password.clear()
                self.password.setFocus()
            self.error.setText(error_text(exc))

        self.ops.run(lambda _job: check(number, secret, new), done, failed)


def sign_in_for(accounts: Accounts, action: str) -> Check:
    """The check a guard's dialog runs: sign in, then the role must allow `action`
    (a refusal is audited with the person's name)."""

    def check(number: str, secret: str, new: str | None) -> Person:
        person = accounts.sign_in(number, secret, new_password=new, purpose=action)
        if not allowed(person, action):
            station = accounts.station
            with station.store.transaction() as conn:
                audit(station, conn, person, "refused", {"action": action})
        return require(person, action)

    return check


class StaffGuard:
    """Every privileged button asks it: `request(parent, what, granted, action)` calls
    `granted(person)` once a person whose role may do `action` has signed in.

    The person signed in at a door or admin window is asked again only for what their role
    does not cover; at a seat (the candidate's place) every request asks."""

    def __init__(
        self,
        accounts: Accounts,
        ops: Operations,
        session: StaffSession,
        provisioning: Any = None,
    ) -> None:
        self.accounts = accounts
        self.ops = ops
        self.session = session
        # Asked instead while the station has no account at all (the recovery passphrase).
        self.provisioning = provisioning
        self.dialog: SignInDialog | None = None
        self.ask_always = False

    def request(
        self,
        parent: QWidget,
        what: tuple[str, str],
        granted: Granted,
        action: str = "mode.admin",
    ) -> None:
        if self.provisioning is not None and not self.accounts.any_accounts():
            self.provisioning.request(parent, what, granted, action)
            return
        current = self.session.person
        if current is not None and not self.ask_always and allowed(current, action):
            granted(current)
            return
        self.dialog = SignInDialog(sign_in_for(self.accounts, action), self.ops, what, parent)

        def accepted() -> None:
            dialog = self.dialog
            if dialog is not None and dialog.person is not None:
                self.session.set(dialog.person)
                granted(dialog.person)

        self.dialog.accepted.connect(accepted)
        self.dialog.open()


class OpenGuard:
    """No sign-in (tests of single screens): grants as a venue administrator."""

    person = Person("test", "测试", "venue_admin")

    def request(
        self, parent: QWidget, what: tuple[str, str], granted: Granted, action: str = ""
    ) -> None:
        granted(self.person)


def describe(action: str) -> tuple[str, str]:
    return action_name(action, "zh"), action_name(action, "en")

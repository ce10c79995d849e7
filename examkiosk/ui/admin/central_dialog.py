"""设置考试中心地址: the centre's address (and optionally the CA file that pins its
certificate), checked as it is typed: https:// required, plain http only to this machine with
the development switch. Saved by `sync_state.save_central` with the signed-in person, which
audits the old and new values (`sync.settings`) in the same transaction. Enter saves, Esc
cancels; nothing changes until 保存 succeeds.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.authz import Person, require
from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from examkiosk.core.sync_state import InsecureCentralUrl, SyncState, check_url, save_central
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button, label, start_folder

MAX_CA_BYTES = 1024 * 1024


def checked_ca_file(text: str) -> Path | None:
    """The CA file named in `text` (None for none), if it is a readable PEM certificate file
    of a sane size; KioskError saying what is wrong otherwise. Runs off the GUI thread."""
    if not text.strip():
        return None
    path = Path(text.strip())
    try:
        if path.stat().st_size > MAX_CA_BYTES:
            raise ValueError("too large")
        pem = path.read_bytes()
    except (OSError, ValueError) as exc:
        raise KioskError(
            "无法读取所选的证书文件，请检查路径和U盘。",
            "The chosen certificate file cannot be read; check the path and the USB drive.",
            detail=f"{type(exc).__name__}: {path}",
        ) from exc
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise KioskError(
            "所选文件不是证书（应为考试中心提供的 .pem / .crt 文件）。",
            "The chosen file is not a certificate (the centre gives a .pem or .crt file).",
            detail=str(path),
        )
    return path


class CentralAddressDialog(QDialog):
    saved = Signal(str)  # the address as saved

    def __init__(
        self,
        station: Station,
        ops: Operations,
        person: Person | None,
        *,
        current: str = "",
        plain_http: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("central_address_dialog")
        self.station = station
        self.ops = ops
        self.person = person
        self.state: SyncState | None = None
        self.texts = Texts()
        self.texts.bind(self.setWindowTitle, "设置考试中心地址", "The centre's address")
        self.setMinimumWidth(560)

        self.url = QLineEdit(current)
        self.url.setObjectName("central_url")
        self.url.setPlaceholderText("https://sync.example.cn:8470")
        self.ca_file = QLineEdit()
        self.ca_file.setObjectName("central_ca_file")
        self.texts.bind(
            self.ca_file.setPlaceholderText,
            "（可不填）考试中心提供的证书文件",
            "(optional) the certificate file from the centre",
        )
        choose = button(self.texts, "选择…", "Choose…", name="central_ca_choose")
        choose.setAutoDefault(False)
        choose.clicked.connect(self.choose_ca_file)
        self.plain_http = QCheckBox()
        self.plain_http.setObjectName("central_plain_http")
        self.plain_http.setChecked(plain_http)
        self.texts.bind(
            self.plain_http.setText,
            "开发开关：允许对本机（127.0.0.1）使用明文 http（仅供测试）",
            "Development switch: plain http to this machine (127.0.0.1) only, for tests",
        )
        self.problem = QLabel()
        self.problem.setObjectName("central_problem")
        self.problem.setProperty("role", "error")
        self.problem.setWordWrap(True)
        self.save_button = button(self.texts, "保存", "Save", role="primary", name="central_save")
        cancel = button(self.texts, "取消", "Cancel", name="central_cancel")
        cancel.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        self.url.textChanged.connect(self.validate)
        self.plain_http.toggled.connect(self.validate)

        form = QFormLayout()
        address, certificate = QLabel(), QLabel()
        self.texts.bind(address.setText, "地址", "Address")
        self.texts.bind(certificate.setText, "证书", "Certificate")
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(choose)
        form.addRow(address, self.url)
        form.addRow(certificate, ca_row)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(cancel)
        actions.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(
            label(
                self.texts,
                "本机通过 HTTPS 把考试记录送往省考试中心。地址由考试中心提供，须以 https:// 开头。",
                "This station sends its records to the exam centre over HTTPS. The centre "
                "gives the address; it starts with https://.",
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.plain_http)
        layout.addWidget(self.problem)
        layout.addLayout(actions)
        self.url.setFocus()
        self.validate()

    def validate(self) -> bool:
        """Check the address as typed; the reason shows under the fields."""
        text = self.url.text().strip()
        try:
            if not text:
                raise KioskError("请输入考试中心地址。", "Enter the centre's address.")
            check_url(text, self.plain_http.isChecked())
        except InsecureCentralUrl:  # its own text names the command line's switch
            self._mark(
                False,
                tr(
                    "地址须以 https:// 开头。明文 http 只能用于本机（127.0.0.1）测试，"
                    "并须勾选下方的开发开关。",
                    "The address must start with https://. Plain http is only for tests on "
                    "this machine (127.0.0.1), with the development switch below.",
                ),
            )
            return False
        except KioskError as exc:
            self._mark(False if text else None, error_text(exc) if text else "")
            return False
        self._mark(True, "")
        return True

    def _mark(self, valid: bool | None, problem: str) -> None:
        self.problem.setText(problem)
        self.url.setProperty("valid", None if valid is None else ("true" if valid else "false"))
        self.url.style().unpolish(self.url)  # the border colour follows the property
        self.url.style().polish(self.url)

    def choose_ca_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self,
            tr("选择考试中心的证书", "Choose the centre's certificate"),
            str(start_folder()),
            tr("证书 (*.pem *.crt)", "Certificates (*.pem *.crt)"),
        )
        if chosen:
            self.ca_file.setText(chosen)

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        if not self.validate():
            if not self.url.text().strip():
                self.problem.setText(tr("请输入考试中心地址。", "Enter the centre's address."))
            self.url.setFocus()
            return
        url, ca_text, plain = (
            self.url.text().strip(),
            self.ca_file.text(),
            self.plain_http.isChecked(),
        )
        person = self.person
        self.save_button.setEnabled(False)
        self.problem.setText(tr("正在保存……", "Saving…"))

        def work(_job: object) -> SyncState:
            require(person, "sync.settings")
            return save_central(
                self.station, url, checked_ca_file(ca_text), allow_plain_http=plain, by=person
            )

        def done(state: SyncState) -> None:
            self.save_button.setEnabled(True)
            self.state = state
            self.problem.clear()
            self.saved.emit(state.central_url)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.problem.setText(error_text(exc))

        self.ops.run(work, done, failed)

    def retranslate(self) -> None:
        self.texts.apply()
        self.validate()

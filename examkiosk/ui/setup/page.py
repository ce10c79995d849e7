"""The set-up page a fresh install opens: the same steps as `examkiosk provision`.

Language, station id, venue, mode, the centre's public keys (found on a USB drive, or chosen
as a file), the recovery passphrase with a strength meter (sync.credentials, the rule every
station applies), then the printable recovery sheet and the station's public keys for the
centre to register. Keyboard alone: Tab between fields, Enter provisions.
Provisioning itself is examkiosk/core/provision.py; nothing is written before it succeeds.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.errors import KioskError
from examkiosk.core.provision import provision_station
from examkiosk.core.station import Station
from examkiosk.ui import theme
from examkiosk.ui.i18n import error_text, set_language, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.setup.sheet import SheetFacts, write_sheet_pdf
from examkiosk.ui.widgets import Texts, button, card, label
from sync.credentials import RECOVERY_MIN_BITS, entropy_bits
from sync.crypto import PublicKeys
from sync.media import list_removable_volumes

CENTRAL_KEYS_FILE = "central-keys.json"  # `examkiosk-central public-keys > central-keys.json`
MODES = (("door", "入口核验", "Door check-in"), ("seat", "考生座位", "Candidate seat"),
         ("admin", "考点管理", "Administration"))  # fmt: skip
METER_MAX_BITS = 80


def find_central_keys(volumes: list[Any] | None = None) -> Path | None:
    """central-keys.json at the top of a mounted USB drive, if one is plugged in."""
    for volume in list_removable_volumes() if volumes is None else volumes:
        candidate = Path(volume.mount_point) / CENTRAL_KEYS_FILE
        if candidate.is_file():
            return candidate
    return None


def read_central_keys(path: Path) -> PublicKeys:
    try:
        if path.stat().st_size > 64 * 1024:
            raise ValueError("file too large")
        return PublicKeys.from_dict(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise KioskError(
            "中心公钥文件无法读取，请向省考试中心重新索取。",
            "The centre's public key file cannot be read; ask the exam centre for it again.",
            detail=str(exc),
        ) from None


class SetupPage(QWidget):
    provisioned = Signal(object)  # Station
    finished = Signal(object)  # Station: the technician continues into the kiosk

    def __init__(self, data_dir: Path, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        self.data_dir = data_dir
        self.ops = ops
        self.texts = Texts()
        self.station: Station | None = None
        self.facts: SheetFacts | None = None
        self._passphrase = ""

        self.language = QComboBox()
        self.language.addItem("中文", "zh_CN")
        self.language.addItem("English", "en")
        self.language.currentIndexChanged.connect(self._language_changed)
        self.station_id = QLineEdit()
        self.station_id.setObjectName("station_id")
        self.station_id.setPlaceholderText("ST-0101-01")
        self.venue = QLineEdit()
        self.venue.setObjectName("venue")
        self.venue.setPlaceholderText("V0101")
        self.mode = QComboBox()
        for value, zh, en in MODES:
            self.mode.addItem(tr(zh, en), value)
        self.central_path = QLineEdit()
        self.central_path.setObjectName("central_keys")
        found = find_central_keys()
        if found is not None:
            self.central_path.setText(str(found))
        self.browse = button(self.texts, "选择文件…", "Choose file…", role="secondary")
        self.browse.clicked.connect(self._choose_keys)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.textChanged.connect(self._strength)
        self.confirm = QLineEdit()
        self.confirm.setObjectName("confirm")
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.meter = QProgressBar()
        self.meter.setObjectName("strength")
        self.meter.setRange(0, METER_MAX_BITS)
        self.meter.setTextVisible(False)
        self.meter_text = QLabel()
        self.meter_text.setObjectName("strength_text")
        for field in (self.station_id, self.venue, self.central_path, self.passphrase,
                      self.confirm):  # fmt: skip
            field.returnPressed.connect(self.submit)
        self.submit_button = button(self.texts, "部署本机", "Provision this station",
                                    role="primary", name="provision")  # fmt: skip
        self.submit_button.clicked.connect(self.submit)
        self.error = QLabel()
        self.error.setObjectName("setup_error")
        self.error.setWordWrap(True)

        form = QFormLayout()
        labels = (("语言", "Language", self.language), ("工作站编号", "Station id", self.station_id),
                  ("考点编号", "Venue", self.venue), ("用途", "Mode", self.mode),
                  ("考试中心公钥", "Centre's keys", self.central_path), ("", "", self.browse),
                  ("恢复口令", "Recovery passphrase", self.passphrase),
                  ("再次输入", "Repeat it", self.confirm), ("口令强度", "Strength", self.meter),
                  ("", "", self.meter_text))  # fmt: skip
        for zh, en, widget in labels:
            form.addRow(label(self.texts, zh, en, wrap=False) if zh else QLabel(), widget)

        self.sheet_button = button(self.texts, "保存恢复单（PDF）…", "Save recovery sheet (PDF)…",
                                   name="save_sheet")  # fmt: skip
        self.sheet_button.clicked.connect(self._choose_sheet)
        self.continue_button = button(self.texts, "进入工作站", "Open the station",
                                      role="primary", name="open_station")  # fmt: skip
        self.continue_button.clicked.connect(lambda: self.finished.emit(self.station))
        self.done_text = QLabel()
        self.done_text.setObjectName("setup_done")
        self.done_text.setWordWrap(True)
        self.done = card(self.done_text, self.sheet_button, self.continue_button)
        self.done.hide()

        form_host = QWidget()
        form_host.setLayout(form)
        self.form_card = card(
            label(self.texts, "部署新工作站", "Set up this station", role="heading"),
            label(
                self.texts,
                "请填写考试中心分配的编号，插入存有中心公钥（central-keys.json）的U盘，并设定恢复口令。",
                "Enter the ids the exam centre assigned, plug in the USB drive with the centre's "
                "keys (central-keys.json), and choose the recovery passphrase.",
                role="muted",
            ),
            form_host,
            self.submit_button,
            self.error,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(self.form_card)
        layout.addWidget(self.done)
        layout.addStretch(1)
        self._strength("")
        self.station_id.setFocus()

    # -- steps ----------------------------------------------------------------------------
    def submit(self) -> None:
        """Check the fields, then provision off the GUI thread; errors show below the form."""
        if self.station is not None or not self.submit_button.isEnabled():
            return
        try:
            request = self._request()
        except KioskError as exc:
            self._show_error(exc)
            return
        self.submit_button.setEnabled(False)
        self.error.setText(tr("正在部署……", "Provisioning…"))
        self.error.setStyleSheet(f"color: {theme.NEUTRAL};")
        self.ops.run(lambda job: provision_station(self.data_dir, **request), self._done,
                     self._failed)  # fmt: skip

    def _request(self) -> dict[str, Any]:
        station_id, venue = self.station_id.text().strip(), self.venue.text().strip()
        if not station_id or not venue:
            raise KioskError("请填写工作站编号和考点编号。", "Enter the station id and the venue.")
        path = Path(self.central_path.text().strip())
        if not self.central_path.text().strip():
            raise KioskError(
                "未找到考试中心公钥：请插入存有 central-keys.json 的U盘，或选择该文件。",
                "The centre's keys were not found: plug in the USB drive holding "
                "central-keys.json, or choose the file.",
            )
        central = read_central_keys(path)
        if self.passphrase.text() != self.confirm.text():
            raise KioskError("两次输入的恢复口令不一致。", "The two passphrases differ.")
        self._passphrase = self.passphrase.text()
        return {"station_id": station_id, "venue_id": venue, "mode": self.mode.currentData(),
                "central": central, "passphrase": self._passphrase}  # fmt: skip

    def _done(self, station: Station) -> None:
        self.station = station
        self.facts = SheetFacts(
            station_id=station.station_id,
            venue_id=station.identity.venue_id,
            mode=station.identity.mode,
            station_key_id=station.keys().public().key_id,
            central_key_id=station.central_keys().key_id,
            provisioned_at=datetime.now().astimezone().isoformat(timespec="minutes"),
        )
        for field in (self.passphrase, self.confirm):
            field.clear()
        self.form_card.setEnabled(False)
        self.error.clear()
        self.done_text.setText(
            tr(
                f"已部署 {station.station_id}（{station.identity.venue_id}）。请保存并打印恢复单，"
                "把同时保存的本机公钥交考试中心登记。",
                f"Provisioned {station.station_id} ({station.identity.venue_id}). Save and print "
                "the recovery sheet; give the station keys saved with it to the exam centre.",
            )
        )
        self.done.show()
        self.sheet_button.setFocus()
        self.provisioned.emit(station)

    def _failed(self, exc: BaseException) -> None:
        self.submit_button.setEnabled(True)
        self._show_error(exc)

    def save_sheet(self, path: Path) -> Path:
        """Write the recovery sheet PDF at `path` and the station's public keys beside it
        (for `examkiosk-central register-station`); returns the keys file."""
        assert self.station is not None and self.facts is not None
        write_sheet_pdf(path, self.facts, self._passphrase)
        keys = path.with_name(f"{self.station.station_id}-keys.json")
        public = {"station_id": self.station.station_id,
                  "venue_id": self.station.identity.venue_id,
                  "public": self.station.keys().public().to_dict()}  # fmt: skip
        keys.write_text(json.dumps(public, indent=2) + "\n", "utf-8")
        self.done_text.setText(
            tr(f"恢复单已保存：{path}", f"Recovery sheet saved: {path}") + "\n"
            + tr(f"本机公钥：{keys}", f"Station keys: {keys}")
        )  # fmt: skip
        self.continue_button.setFocus()
        return keys

    # -- helpers --------------------------------------------------------------------------
    def _strength(self, text: str) -> None:
        bits = entropy_bits(text) if text else 0.0
        self.meter.setValue(min(int(bits), METER_MAX_BITS))
        strong_enough = len(text) >= 12 and bits >= RECOVERY_MIN_BITS
        if not text:
            words = (
                "至少 12 个字符，可以是几个词加数字",
                "at least 12 characters: a few words and digits",
            )
        elif strong_enough:
            words = (f"足够强（约 {bits:.0f} 位）", f"strong enough (about {bits:.0f} bits)")
        else:
            words = (f"太弱（约 {bits:.0f} 位）", f"too weak (about {bits:.0f} bits)")
        self.meter_text.setText(tr(*words))
        colour = theme.ADMIT if strong_enough else theme.REFUSE if text else theme.NEUTRAL
        self.meter.setStyleSheet(f"QProgressBar::chunk {{ background: {colour}; }}")

    def _show_error(self, exc: BaseException) -> None:
        self.error.setText(error_text(exc))
        self.error.setStyleSheet(f"color: {theme.REFUSE}; font-weight: bold;")

    def _choose_keys(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("选择考试中心公钥", "Choose the centre's keys"), "", "JSON (*.json)"
        )
        if path:
            self.central_path.setText(path)

    def _choose_sheet(self) -> None:
        start = find_central_keys()
        suggested = (start.parent if start else Path.home()) / "recovery-sheet.pdf"
        path, _ = QFileDialog.getSaveFileName(
            self, tr("保存恢复单", "Save the recovery sheet"), str(suggested), "PDF (*.pdf)"
        )
        if path:
            try:
                self.save_sheet(Path(path))
            except OSError as exc:
                self.done_text.setText(
                    tr(
                        "无法写入该位置，请换一个U盘或目录。",
                        "Cannot write there; try another drive.",
                    )
                    + f" ({os.strerror(exc.errno) if exc.errno else exc})"
                )

    def _language_changed(self) -> None:
        set_language(str(self.language.currentData()))
        self.texts.apply()
        for index, (_value, zh, en) in enumerate(MODES):
            self.mode.setItemText(index, tr(zh, en))
        self._strength(self.passphrase.text())

    def keyPressEvent(self, event: Any) -> None:
        # Esc clears the passphrase fields (nothing else to cancel on a fresh install).
        if event.key() == Qt.Key.Key_Escape:
            self.passphrase.clear()
            self.confirm.clear()
            return
        super().keyPressEvent(event)

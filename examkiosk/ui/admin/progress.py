"""Progress of one long job (import, export) with a cancel button bound to its `Job`."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from examkiosk.ui.ops import Job, Operations
from examkiosk.ui.widgets import Texts, button


class JobProgress(QWidget):
    """Hidden until `track(job)`; follows `ops.progressed` until `finish()`."""

    def __init__(self, ops: Operations, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.texts = Texts()
        self.bar = QProgressBar()
        self.bar.setObjectName(f"{name}_progress")
        self.detail = QLabel()
        self.detail.setProperty("role", "muted")
        self.cancel = button(self.texts, "取消", "Cancel", name=f"{name}_cancel")
        self.cancel.clicked.connect(self._cancel)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.detail)
        self.job: Job | None = None
        self.setVisible(False)

    def track(self, job: Job) -> None:
        # `ops.progressed` carries every job's progress; the admin screen runs one long
        # job at a time, so while one is tracked the reports are its own.
        self.job = job
        self.bar.setRange(0, 0)  # busy until the first report gives a total
        self.detail.clear()
        self.cancel.setEnabled(True)
        self.ops.progressed.connect(self._progress)
        self.setVisible(True)

    def finish(self) -> None:
        if self.job is not None:
            self.ops.progressed.disconnect(self._progress)
        self.job = None
        self.setVisible(False)

    def retranslate(self) -> None:
        self.texts.apply()

    def _progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        self.detail.setText(text)

    def _cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel.setEnabled(False)

"""Where a station keeps its files inside its data directory."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def data_dir_for(platform: str, env: Mapping[str, str], home: Path) -> Path:
    """The data directory when none is given: $EXAMKIOSK_DATA_DIR; on Windows the folder the
    installer made and locked to the kiosk account (%ProgramData%\\ExamKiosk); elsewhere
    $XDG_DATA_HOME/examkiosk or ~/.local/share/examkiosk."""
    if env.get("EXAMKIOSK_DATA_DIR"):
        return Path(env["EXAMKIOSK_DATA_DIR"])
    if platform == "win32":
        return Path(env.get("ProgramData") or "C:\\ProgramData") / "ExamKiosk"
    base = env.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(base) / "examkiosk"


def default_data_dir() -> Path:
    return data_dir_for(sys.platform, os.environ, Path.home())


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def store(self) -> Path:
        return self.root / "station.db"

    @property
    def keyslots(self) -> Path:
        return self.root / "keyslots.json"

    @property
    def config(self) -> Path:
        return self.root / "station.json"

    @property
    def central(self) -> Path:
        """The demo central's home (only demo venues have one here)."""
        return self.root / "central"

    @property
    def demo_passphrase(self) -> Path:
        """Only demo venues: their throwaway recovery passphrase, so the demo opens unattended."""
        return self.root / "demo-passphrase"

    @property
    def sim(self) -> Path:
        """Files the simulated devices read (camera videos of the demo candidates)."""
        return self.root / "sim"

    def exists(self) -> bool:
        return self.store.exists() and self.keyslots.exists()

"""Where a station keeps its files inside its data directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_data_dir() -> Path:
    env = os.environ.get("EXAMKIOSK_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "examkiosk"


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

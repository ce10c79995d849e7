"""Errors an invigilator can meet at a device, in both user-facing languages."""

from __future__ import annotations


class DeviceError(Exception):
    """A device problem a person can act on.

    `zh` and `en` are whole sentences for the screen (what went wrong, what to do);
    `detail` is for the log only. `str()` gives the English text plus detail.
    """

    def __init__(self, zh: str, en: str, *, detail: str = "") -> None:
        super().__init__(en if not detail else f"{en} ({detail})")
        self.zh = zh
        self.en = en
        self.detail = detail

"""Errors a kiosk user can meet, with the text to show them in both languages."""

from __future__ import annotations


class KioskError(Exception):
    """A problem a person can act on: `zh`/`en` say what went wrong and what to do."""

    def __init__(self, zh: str, en: str, *, detail: str = "") -> None:
        super().__init__(en if not detail else f"{en} ({detail})")
        self.zh = zh
        self.en = en
        self.detail = detail


class StoreLocked(KioskError):
    """The station's store could not be unlocked (wrong or missing passphrase)."""


class NotProvisioned(KioskError):
    """The data directory holds no station yet."""


class NotFound(KioskError):
    """A candidate, item or attempt the user named does not exist."""


class Refused(KioskError):
    """An action the rules do not allow right now (not checked in, already submitted...)."""


def localized(exc: BaseException, lang: str) -> str:
    """The text to show for any error: its own translation if it has one, else its str()."""
    text = getattr(exc, "en" if lang.startswith("en") else "zh", None)
    return str(text) if text else str(exc)

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


class StoreWriteFailed(KioskError):
    """The station's disk refused a write (full, read-only, gone, failing). What was saved
    before is intact; the action that failed was not saved at all. `problem`: "full",
    "read_only", "io"."""

    def __init__(self, problem: str, detail: str = "") -> None:
        texts = {
            "full": (
                "本机磁盘已满，刚才的操作未能保存；此前已保存的内容不受影响。请立即联系技术员。",
                "This station's disk is full, so the last action was not saved; everything "
                "saved before is intact. Call the technician now.",
            ),
            "read_only": (
                "本机数据盘变为只读，刚才的操作未能保存；此前已保存的内容不受影响。请联系技术员。",
                "This station's data drive became read-only, so the last action was not "
                "saved; everything saved before is intact. Call the technician.",
            ),
            "io": (
                "本机数据盘读写出错或已断开，刚才的操作未能保存；此前已保存的内容不受影响。"
                "请联系技术员。",
                "This station's data drive failed or disappeared, so the last action was not "
                "saved; everything saved before is intact. Call the technician.",
            ),
        }
        zh, en = texts.get(problem, texts["io"])
        super().__init__(zh, en, detail=detail)
        self.problem = problem


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

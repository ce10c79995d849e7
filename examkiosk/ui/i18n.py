"""User-facing text: Simplified Chinese by default, English when chosen.

Screens call `tr("中文", "English")` so both texts sit side by side where they are used and a
missing translation is impossible. Errors carry their own `zh`/`en`.
"""

from __future__ import annotations

import os

from examkiosk.core.errors import localized

_language = os.environ.get("EXAMKIOSK_LANG", "zh_CN")


def set_language(language: str) -> None:
    global _language
    _language = "en" if language.startswith("en") else "zh_CN"


def language() -> str:
    return _language


def tr(zh: str, en: str) -> str:
    return en if _language == "en" else zh


def error_text(exc: BaseException) -> str:
    return localized(exc, _language)

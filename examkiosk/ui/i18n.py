"""User-facing text: Simplified Chinese by default, English when chosen.

Screens call `tr("中文", "English")` so both texts sit side by side where they are used and a
missing translation is impossible. Errors carry their own `zh`/`en`.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

from examkiosk.core.errors import localized

_language = os.environ.get("EXAMKIOSK_LANG", "zh_CN")


def set_language(language: str) -> None:
    global _language
    _language = "en" if language.startswith("en") else "zh_CN"
    app = QCoreApplication.instance()
    if app is not None:
        install_qt_translations(app)


# Qt's own texts (file dialogs, message box buttons, line-edit context menus) come from
# the translations PySide6 ships; kept here so the translator outlives the call.
_qt_translators: list[QTranslator] = []


def install_qt_translations(app: QCoreApplication) -> bool:
    """Qt's own dialogs in Chinese (qtbase_zh_CN.qm) while the language is Chinese, and
    back to Qt's built-in English otherwise. True if the Chinese translation is loaded."""
    while _qt_translators:
        app.removeTranslator(_qt_translators.pop())
    if _language == "en":
        return False
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded = False
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            _qt_translators.append(translator)
            loaded = True
    return loaded


def language() -> str:
    return _language


def tr(zh: str, en: str) -> str:
    return en if _language == "en" else zh


def error_text(exc: BaseException) -> str:
    return localized(exc, _language)

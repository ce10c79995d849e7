"""The CJK font the PDF reports embed: Noto Sans CJK on Linux, Microsoft YaHei on Windows."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

from sync.report_pdf import FONT_CANDIDATES, cjk_font, font_candidates


def test_windows_looks_in_its_own_fonts_folder() -> None:
    found = font_candidates("win32", {"WINDIR": "D:\\Windows"})
    assert [(PureWindowsPath(p), i) for p, i in found] == [
        (PureWindowsPath("D:/Windows/Fonts/msyh.ttc"), 0),
        (PureWindowsPath("D:/Windows/Fonts/simsun.ttc"), 0),
    ]
    fallback = font_candidates("win32", {})
    assert PureWindowsPath(fallback[0][0]) == PureWindowsPath("C:/Windows/Fonts/msyh.ttc")


def test_linux_uses_noto_and_this_machine_has_it() -> None:
    assert font_candidates("linux", {"WINDIR": "C:\\Windows"}) == list(FONT_CANDIDATES)
    path, index = cjk_font()
    assert Path(path).is_file() and path.endswith("NotoSansCJK-Regular.ttc") and index == 2

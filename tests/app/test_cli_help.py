"""`--help` speaks Chinese by default and English with --lang en; every help text has
its Chinese (a new command without one fails here, naming the text)."""

from __future__ import annotations

from click.testing import CliRunner

from examkiosk.app.cli import main
from examkiosk.app.cli_help import localize, missing


def test_every_help_text_has_its_chinese() -> None:
    localize(main, "en")  # the texts as written
    assert missing(main) == []


def test_help_in_chinese_by_default_and_english_on_request() -> None:
    runner = CliRunner()
    chinese = runner.invoke(main, ["--help"], env={"EXAMKIOSK_LANG": "zh_CN"})
    assert chinese.exit_code == 0
    assert "本场考生" in chinese.output and "离线考试引擎" in chinese.output
    english = runner.invoke(main, ["--lang", "en", "--help"], env={"EXAMKIOSK_LANG": "zh_CN"})
    assert "The sitting's candidates." in english.output and "本场考生" not in english.output
    sub = runner.invoke(main, ["roster", "list", "--help"], env={"EXAMKIOSK_LANG": "zh_CN"})
    assert "考生名单" in sub.output and "你的工号" in sub.output

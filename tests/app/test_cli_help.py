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


def test_clicks_own_words_are_chinese_by_default_and_english_with_lang_en() -> None:
    runner = CliRunner()
    env = {"EXAMKIOSK_LANG": "zh_CN"}
    chinese = runner.invoke(main, ["--help"], env=env)
    assert chinese.exit_code == 0
    for word in ("用法:", "选项:", "命令:", "显示本帮助后退出。"):
        assert word in chinese.output, word
    for word in ("Usage:", "Options:", "Commands:", "Show this message and exit."):
        assert word not in chinese.output, word
    sub = runner.invoke(main, ["bundle", "export", "--help"], env=env)
    assert "用法:" in sub.output and "显示本帮助后退出。" in sub.output
    assert "Show this message" not in sub.output

    english = runner.invoke(main, ["--lang", "en", "--help"], env=env)
    for word in ("Usage:", "Options:", "Commands:", "Show this message and exit."):
        assert word in english.output, word
    assert "用法" not in english.output and "显示本帮助" not in english.output


def test_clicks_own_errors_are_chinese_by_default_and_english_with_lang_en() -> None:
    runner = CliRunner()
    env = {"EXAMKIOSK_LANG": "zh_CN"}
    wrong = runner.invoke(main, ["--nope"], env=env)
    assert wrong.exit_code == 2
    assert "错误：没有选项 '--nope'。" in wrong.output
    assert "查看帮助" in wrong.output and "Error" not in wrong.output
    choice = runner.invoke(main, ["exam", "simulate", "--candidate"], env=env)
    assert choice.exit_code == 2 and "选项 '--candidate' 需要 1 个值。" in choice.output
    unknown = runner.invoke(main, ["no-such-command"], env=env)
    assert "错误：没有命令 'no-such-command'。" in unknown.output

    english = runner.invoke(main, ["--lang", "en", "--nope"], env=env)
    assert english.exit_code == 2
    assert "Error: No such option '--nope'." in english.output
    assert "Try '" in english.output and "错误" not in english.output
    # ... and back to Chinese in the same process: nothing of the English run lingers.
    again = runner.invoke(main, ["--nope"], env=env)
    assert "错误：没有选项" in again.output


def test_every_click_text_translated_is_one_click_still_writes() -> None:
    """A click upgrade that rewords a text would silently bring the English back."""
    import importlib.util
    from pathlib import Path

    from examkiosk.app.cli_click_zh import CLICK_ZH, CLICK_ZH_PLURAL

    spec = importlib.util.find_spec("click")
    assert spec is not None and spec.origin is not None
    source = "".join(p.read_text() for p in Path(spec.origin).parent.glob("*.py"))
    source = source.replace('"\n' + " " * 16 + '"', "")  # texts split over two lines
    gone = [t for t in [*CLICK_ZH, *CLICK_ZH_PLURAL] if repr(t)[1:-1] not in source]
    assert gone == []

"""Click's own words in Chinese: "Usage:", "Options", "Show this message and exit.", and the
errors it writes itself ("Error: No such option '--x'.", "Try 'examkiosk --help' for help.").

Click marks these texts for gettext (`from gettext import gettext as _` in each of its
modules) but ships no catalogue. Rather than install a process-wide gettext domain, which
would also catch any other library's messages, `use_click_language` points the `_` and
`ngettext` names of click's own modules at this table (Chinese) or back at gettext's
(English, as written). A text missing here stays English, never empty; the tests check
that every text here is still one click writes, so a click upgrade that rewords one is
noticed.

Chinese texts may leave out a placeholder whose value click fills in with an English word
(a type's name such as "integer" or "file"): `str.format` ignores unused arguments.
"""

from __future__ import annotations

import gettext
import importlib
from typing import Any

# click's modules that import `_` / `ngettext` from gettext.
CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
    "click.utils",
)

CLICK_ZH = {
    # help pages
    "Usage:": "用法:",  # click adds the space; ASCII colons as after 选项 and 命令
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助后退出。",
    "Show the version and exit.": "显示版本号后退出。",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "Confirm the action without prompting.": "不经询问直接确认。",
    # errors
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "输入 '{command} {option}' 查看帮助。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少命令。",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} 不是有效的是/否值。可用的值：{states}"
    ),
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "Value must be an iterable.": "值必须是一组值。",
    "{name} {filename!r} does not exist.": "{filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{filename!r} 是文件，不是文件夹。",
    "{name} {filename!r} is a directory.": "{filename!r} 是文件夹，不是文件。",
    "{name} {filename!r} is not readable.": "{filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{filename!r} 不可执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    # prompts
    "Aborted!": "已中止！",
    "Repeat for confirmation": "请再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入的值不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
}

# ngettext texts, keyed by the singular; one Chinese text serves both numbers.
CLICK_ZH_PLURAL = {
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要 {nargs} 个值。",
    "Did you mean {possibility}?": "你是否想输入：{possibilities}？",
    "{value!r} is not {choice}.": "{value!r} 不是可选的值：{choices}。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式：{formats}。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，但给了 {len} 个。",
    "{len_type} values are required, but {len_value} was given.": (
        "需要 {len_type} 个值，但给了 {len_value} 个。"
    ),
}


def _chinese(message: str) -> str:
    return CLICK_ZH.get(message, message)


def _chinese_plural(singular: str, plural: str, n: int) -> str:
    return CLICK_ZH_PLURAL.get(singular, singular if n == 1 else plural)


def use_click_language(language: str) -> None:
    """Click's own words in Chinese, or in English when `language` starts with "en"."""
    english = language.startswith("en")
    for name in CLICK_MODULES:
        module: Any = importlib.import_module(name)  # click's modules, set by name
        if hasattr(module, "_"):
            module._ = gettext.gettext if english else _chinese
        if hasattr(module, "ngettext"):
            module.ngettext = gettext.ngettext if english else _chinese_plural

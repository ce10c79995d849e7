"""Checks of an exam package's content before anything of it is stored.

A package is signed by the centre, so these are not about attackers as much as about
mistakes upstream (a text duration, a negative one, a secret that is not hex, the same ticket
twice): each would otherwise surface later as a crash at sign-in or at the door. Every
problem is reported with the field it is in, and the package changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any

from examkiosk.core.bank import image_media
from examkiosk.core.errors import KioskError

MAX_DURATION_MINUTES = 24 * 60
MAX_CANDIDATES = 20_000
MAX_ITEMS = 5_000
MAX_TEXT = 200
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_IMAGE_BYTES = 10 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_ROSTER_FIELDS = ("candidate_id", "ticket", "name", "id_number", "seat")


class PackageInvalid(KioskError):
    """A package whose content breaks a rule; `field` names where."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__(
            f"考试包内容有误（{field}）：{zh}未导入任何内容，请联系省考试中心更正后重新下发。",
            f"The exam package is wrong at {field}: {en} Nothing was imported; ask the exam "
            "centre to correct and reissue it.",
            detail=field,
        )
        self.field = field


def _int_in(value: Any, field: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise PackageInvalid(
            field,
            f"应为 {low} 到 {high} 之间的整数，实际为 {str(value)[:40]!r}。",
            f"it must be a whole number from {low} to {high}, not {str(value)[:40]!r}.",
        )
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise PackageInvalid(
            field,
            f"应为 1 到 {MAX_TEXT} 个字符的文字。",
            f"it must be text of 1 to {MAX_TEXT} characters.",
        )
    return value


def _bool(value: Any, field: str) -> None:
    if not isinstance(value, bool):
        raise PackageInvalid(field, "应为 true 或 false。", "it must be true or false.")


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PackageInvalid(field, "应为一个对象。", "it must be an object.")
    return value


def _list(value: Any, field: str, limit: int) -> list[Any]:
    if not isinstance(value, list) or len(value) > limit:
        raise PackageInvalid(
            field, f"应为不超过 {limit} 项的列表。", f"it must be a list of at most {limit}."
        )
    return value


def _decoded(value: Any, field: str, limit: int) -> bytes:
    if not isinstance(value, str) or len(value) > limit * 4 // 3 + 8:
        raise PackageInvalid(field, "图片数据缺失或过大。", "the picture is missing or too large.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PackageInvalid(
            field, "图片数据不是有效的 base64。", "the picture is not valid base64."
        ) from None


def _unique(values: Iterator[tuple[str, str]], what_zh: str, what_en: str) -> None:
    seen: set[str] = set()
    for field, value in values:
        if value in seen:
            raise PackageInvalid(
                field,
                f"{what_zh} {value[:40]!r} 重复出现。",
                f"{what_en} {value[:40]!r} appears more than once.",
            )
        seen.add(value)


def check_settings(content: Mapping[str, Any]) -> None:
    """Duration, warnings, outage policy and resume secret (see timing.ExamSettings)."""
    exam = content.get("exam")
    exam = _mapping(exam, "exam") if exam is not None else {}
    if "duration_minutes" in content:
        duration = _int_in(content["duration_minutes"], "duration_minutes", 1, MAX_DURATION_MINUTES)
    elif "duration_minutes" in exam:
        duration = _int_in(
            exam["duration_minutes"], "exam.duration_minutes", 1, MAX_DURATION_MINUTES
        )
    else:
        duration = MAX_DURATION_MINUTES
    raw = content.get("settings")
    if raw is None:
        return
    settings = _mapping(raw, "settings")
    if "warn_minutes" in settings:
        for i, minutes in enumerate(_list(settings["warn_minutes"], "settings.warn_minutes", 20)):
            _int_in(minutes, f"settings.warn_minutes[{i}]", 1, duration)
    if "outage_policy" in settings and settings["outage_policy"] not in ("count", "pause"):
        raise PackageInvalid(
            "settings.outage_policy", "应为 count 或 pause。", "it must be count or pause."
        )
    if "pause_limit_minutes" in settings:
        _int_in(
            settings["pause_limit_minutes"], "settings.pause_limit_minutes", 0, MAX_DURATION_MINUTES
        )
    if "resume_grace_seconds" in settings:
        _int_in(settings["resume_grace_seconds"], "settings.resume_grace_seconds", 0, 86_400)
    for flag in ("show_score", "shuffle_items", "lock_sections"):
        if flag in settings:
            _bool(settings[flag], f"settings.{flag}")
    if "resume_secret" in settings:
        secret = settings["resume_secret"]
        if not isinstance(secret, str) or not _HEX64.match(secret):
            raise PackageInvalid(
                "settings.resume_secret",
                "应为 64 位十六进制字符（32 字节）。",
                "it must be 64 hexadecimal digits (32 bytes).",
            )


def check_roster(content: Mapping[str, Any]) -> None:
    roster = _list(content.get("roster"), "roster", MAX_CANDIDATES)
    for i, row in enumerate(roster):
        entry = _mapping(row, f"roster[{i}]")
        for name in _ROSTER_FIELDS:
            _text(entry.get(name), f"roster[{i}].{name}")
        if entry.get("photo_b64"):
            _decoded(entry["photo_b64"], f"roster[{i}].photo_b64", MAX_PHOTO_BYTES)
    rows = [(i, r) for i, r in enumerate(roster)]
    _unique(
        ((f"roster[{i}].candidate_id", r["candidate_id"]) for i, r in rows), "考生号", "Candidate"
    )
    _unique(((f"roster[{i}].ticket", r["ticket"]) for i, r in rows), "准考证号", "Ticket")
    _unique(
        ((f"roster[{i}].id_number", str(r["id_number"]).upper()) for i, r in rows),
        "证件号",
        "ID number",
    )


def _image(value: Any, field: str) -> None:
    if value is None:
        return
    image = _mapping(value, field)
    data = _decoded(image.get("data_b64"), f"{field}.data_b64", MAX_IMAGE_BYTES)
    if image_media(data) is None:
        raise PackageInvalid(
            field,
            "引用的图片不存在或不是 PNG/JPEG/GIF 图片。",
            "the picture it refers to is missing or not a PNG/JPEG/GIF image.",
        )


def check_paper(paper: Any) -> None:
    """Unique sections and items, item ids and kinds present, every picture present."""
    sections = _list(_mapping(paper, "paper").get("sections"), "paper.sections", 200)
    ids: list[tuple[str, str]] = []
    section_ids: list[tuple[str, str]] = []
    count = 0
    for s, raw in enumerate(sections):
        section = _mapping(raw, f"paper.sections[{s}]")
        section_ids.append(
            (
                f"paper.sections[{s}].section_id",
                _text(section.get("section_id"), f"paper.sections[{s}].section_id"),
            )
        )
        items = _list(section.get("items"), f"paper.sections[{s}].items", MAX_ITEMS)
        count += len(items)
        if count > MAX_ITEMS:
            raise PackageInvalid("paper", f"题目超过 {MAX_ITEMS} 道。", f"over {MAX_ITEMS} items.")
        for n, raw_item in enumerate(items):
            where = f"paper.sections[{s}].items[{n}]"
            item = _mapping(raw_item, where)
            ids.append((f"{where}.item_id", _text(item.get("item_id"), f"{where}.item_id")))
            _text(item.get("kind"), f"{where}.kind")
            _image(item.get("image"), f"{where}.image")
            group = item.get("group")
            if isinstance(group, Mapping):
                _image(group.get("image"), f"{where}.group.image")
            for o, option in enumerate(item.get("options") or []):
                if isinstance(option, Mapping):
                    _image(option.get("image"), f"{where}.options[{o}].image")
    _unique(iter(section_ids), "大题编号", "Section id")
    _unique(iter(ids), "题目编号", "Item id")


def check_package_content(content: Mapping[str, Any], *, sealed: bool) -> None:
    """Raise PackageInvalid (naming the field) for the first rule the content breaks. A
    sealed paper is checked when it is released (release_paper)."""
    check_settings(content)
    check_roster(content)
    if not sealed:
        check_paper(content.get("paper"))

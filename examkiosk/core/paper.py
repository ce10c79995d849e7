"""The paper as a candidate sees it: sections, items of the medical exams' types, images.

Item types (China's medical qualification exams):
- A1/A2: single best answer; A3/A4: case groups whose items share a case stem (`group.stem`);
- B1: several items sharing one option list (each item repeats it, `group` ties them);
- X: several correct options, scored all-or-nothing; TF: true/false (options A 正确 / B 错误).

The item dicts are the exam package's (`paper.sections[].items[]`, stored in `items.body_json`).
Answers are always stored in the package's option keys; shuffling only changes the order
shown, so a candidate's answers mean the same on every station and at the centre.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from examkiosk.core.errors import KioskError

ITEM_KINDS = ("A1", "A2", "A3", "A4", "B1", "X", "TF")
SINGLE_ANSWER_KINDS = ("A1", "A2", "A3", "A4", "B1", "TF")
# B1 shares one option list across items and TF's two options have a fixed meaning:
# their order is never shuffled.
FIXED_OPTION_ORDER = ("B1", "TF")
KIND_TITLES = {
    "A1": ("A1型题（单句型最佳选择题）", "A1 (single best answer)"),
    "A2": ("A2型题（病例摘要型最佳选择题）", "A2 (case summary, single best answer)"),
    "A3": ("A3型题（病例组型最佳选择题）", "A3 (case group)"),
    "A4": ("A4型题（病例串型最佳选择题）", "A4 (case series)"),
    "B1": ("B1型题（标准配伍题）", "B1 (matching, shared options)"),
    "X": ("X型题（多项选择题）", "X (multiple answers)"),
    "TF": ("判断题", "True / false"),
}


class PaperError(KioskError):
    """The paper in the package cannot be used (unknown item type, broken image...)."""


@dataclass(frozen=True)
class Media:
    """An image attached to a stem or option, kept base64 until shown."""

    media_type: str
    data_b64: str

    def data(self) -> bytes:
        try:
            return base64.b64decode(self.data_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PaperError(
                "试题图片已损坏，无法显示。请报告监考员。",
                "An item's image is damaged and cannot be shown. Tell the invigilator.",
                detail=str(exc),
            ) from exc


class Option(NamedTuple):
    key: str  # the package's key: what is stored and scored
    text: str


@dataclass(frozen=True)
class Group:
    """A3/A4 case stem, or the B1 shared option list's group."""

    group_id: str
    stem: str
    image: Media | None = None


@dataclass(frozen=True)
class Item:
    item_id: str
    section_id: str
    position: int  # in the package's order, 1-based
    kind: str
    stem: str
    options: tuple[Option, ...]
    key: tuple[str, ...]  # the correct option keys, sorted
    score: float
    image: Media | None = None
    option_images: Mapping[str, Media] = field(default_factory=dict)
    group: Group | None = None

    @property
    def multiple(self) -> bool:
        return self.kind == "X"

    def normalize(self, answer: Sequence[str]) -> list[str]:
        """The answer as stored: sorted option keys; raises PaperError if it is not valid."""
        chosen = sorted({str(a) for a in answer})
        valid = {o.key for o in self.options}
        if not set(chosen) <= valid:
            raise PaperError(
                "答案不是该题的选项。",
                "The answer is not one of the item's options.",
                detail=f"{self.item_id}: {chosen}",
            )
        if len(chosen) > 1 and not self.multiple:
            raise PaperError(
                "本题只能选择一个答案。", "This item takes a single answer.", detail=self.item_id
            )
        return chosen


@dataclass(frozen=True)
class Section:
    section_id: str
    title: str
    items: tuple[Item, ...]
    lock_on_leave: bool = False
    shuffle_items: bool = True
    shuffle_options: bool = True
    instructions: str = ""


@dataclass(frozen=True)
class Paper:
    sections: tuple[Section, ...]

    def __post_init__(self) -> None:
        index = {i.item_id: (n, i) for n, s in enumerate(self.sections) for i in s.items}
        object.__setattr__(self, "_index", index)

    def items(self) -> list[Item]:
        return [i for s in self.sections for i in s.items]

    def item(self, item_id: str) -> Item | None:
        found = self._index.get(item_id)  # type: ignore[attr-defined]
        return found[1] if found else None

    def section_index(self, item_id: str) -> int:
        return int(self._index[item_id][0])  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return sum(len(s.items) for s in self.sections)

    def for_candidate(self, seed: int) -> Paper:
        """This candidate's order: items (groups kept together) and options shuffled per
        section settings, reproducibly from `seed` (stored with the attempt)."""
        return Paper(tuple(_shuffle_section(s, seed) for s in self.sections))


def _rng(seed: int, *parts: str) -> random.Random:
    # Seeded by a digest rather than Python's hash() so the order is identical on every
    # station, process and Python version.
    digest = hashlib.sha256("|".join((str(seed), *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _shuffle_section(section: Section, seed: int) -> Section:
    units: list[list[Item]] = []
    for item in section.items:
        if item.group is not None and units and units[-1][0].group == item.group:
            units[-1].append(item)
        else:
            units.append([item])
    if section.shuffle_items:
        _rng(seed, "items", section.section_id).shuffle(units)
    items: list[Item] = []
    for unit in units:
        for item in unit:
            if section.shuffle_options and item.kind not in FIXED_OPTION_ORDER:
                options = list(item.options)
                _rng(seed, "options", item.item_id).shuffle(options)
                item = replace(item, options=tuple(options))
            items.append(item)
    return replace(section, items=tuple(items))


def _media(value: Any, where: str) -> Media | None:
    if not value:
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("data_b64"), str):
        raise PaperError(
            "试卷中的图片格式不正确。", "An image in the paper is malformed.", detail=where
        )
    return Media(str(value.get("media_type", "image/png")), value["data_b64"])


def item_from_body(body: Mapping[str, Any], section_id: str, position: int) -> Item:
    """One package item dict as an `Item`; PaperError names the item if it is malformed."""
    item_id = str(body.get("item_id", f"#{position}"))
    try:
        kind = str(body["kind"]).upper()
        if kind not in ITEM_KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        raw_options = body.get("options") or []
        if kind == "TF" and not raw_options:
            raw_options = [{"key": "A", "text": "正确"}, {"key": "B", "text": "错误"}]
        options = tuple(Option(str(o["key"]), str(o.get("text", ""))) for o in raw_options)
        option_images = {
            str(o["key"]): m
            for o in raw_options
            if (m := _media(o.get("image"), f"{item_id} option {o.get('key')}")) is not None
        }
        key = tuple(sorted(str(k) for k in body.get("answer", [])))
        if len({o.key for o in options}) != len(options) or len(options) < 2:
            raise ValueError("options must be at least two, with distinct keys")
        if not key or not set(key) <= {o.key for o in options}:
            raise ValueError("answer must name the item's options")
        if kind in SINGLE_ANSWER_KINDS and len(key) != 1:
            raise ValueError(f"a {kind} item has exactly one correct option")
        group_raw = body.get("group")
        group = None
        if isinstance(group_raw, Mapping) and group_raw.get("group_id"):
            group = Group(
                str(group_raw["group_id"]),
                str(group_raw.get("stem", "")),
                _media(group_raw.get("image"), f"{item_id} group"),
            )
        return Item(
            item_id=item_id,
            section_id=section_id,
            position=position,
            kind=kind,
            stem=str(body.get("stem", "")),
            options=options,
            key=key,
            score=float(body.get("score", 1)),
            image=_media(body.get("image"), item_id),
            option_images=option_images,
            group=group,
        )
    except PaperError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise PaperError(
            "试卷中有一道题格式不正确，无法开始考试。请联系考点管理员。",
            "An item in the paper is malformed; the exam cannot start. Call the venue "
            "administrator.",
            detail=f"{item_id}: {exc}",
        ) from exc


def build_paper(
    rows: Sequence[tuple[str, str, int, str]],
    sections_meta: Sequence[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | None = None,
) -> Paper:
    """A paper from `items` rows (item_id, section_id, position, body_json), in position
    order, with section titles and rules from the package (`sections_meta`, `settings`)."""
    settings = settings or {}
    meta = {str(m.get("section_id")): m for m in sections_meta if isinstance(m, Mapping)}
    grouped: dict[str, list[Item]] = {}
    for item_id, section_id, position, body_json in sorted(rows, key=lambda r: int(r[2])):
        body = json.loads(body_json)
        body.setdefault("item_id", item_id)
        grouped.setdefault(section_id, []).append(item_from_body(body, section_id, int(position)))
    sections = []
    for number, (section_id, items) in enumerate(grouped.items(), start=1):
        m = meta.get(section_id, {})
        kinds = sorted({i.kind for i in items})
        default_title = f"第{number}部分 " + "、".join(KIND_TITLES[k][0] for k in kinds)
        sections.append(
            Section(
                section_id=section_id,
                title=str(m.get("title") or default_title),
                items=tuple(items),
                lock_on_leave=bool(m.get("lock_on_leave", settings.get("lock_sections", False))),
                shuffle_items=bool(m.get("shuffle_items", settings.get("shuffle_items", True))),
                shuffle_options=bool(
                    m.get("shuffle_options", settings.get("shuffle_options", True))
                ),
                instructions=str(m.get("instructions", "")),
            )
        )
    return Paper(tuple(sections))

"""IMS QTI 2.1 items: single `assessmentItem` files, a folder of them, or a content
package (.zip with imsmanifest.xml).

Supported: `choiceInteraction` items. cardinality "single" -> A1 (or TF when the two choices
read 正确/错误 or true/false), "multiple" -> X. The stem is the item body's text outside the
interaction plus its prompt; `<img src>` in the stem or a choice is loaded from the package.
Choice identifiers become A, B, C... in order; the correct response maps with them. The score
is the MAXSCORE outcome's default value (else 1). Problems name the file and line.
"""

from __future__ import annotations

import base64
import posixpath
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree as ET

from examkiosk.core.bank import (
    MAX_IMAGE_BYTES,
    BankImportError,
    Problem,
    check_paper,
    inside,
    parse_score,
    picture,
)
from examkiosk.core.paper import PaperError

NS = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
MAX_XML_BYTES = 4 * 1024 * 1024
MAX_FILES = 5000
MAX_XML_DEPTH = 64
TRUE_FALSE = ({"正确", "错误"}, {"对", "错"}, {"true", "false"})


class _Source:
    """Files of a folder or a zip, by relative POSIX path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.suffix.lower() == ".zip" else None

    def names(self) -> list[str]:
        if self.zip is not None:
            return [n for n in self.zip.namelist() if n.lower().endswith(".xml")]
        if self.path.is_file():
            return [self.path.name]
        return sorted(str(p.relative_to(self.path).as_posix()) for p in self.path.rglob("*.xml"))

    def read(self, name: str) -> bytes:
        """A file of the bank by relative path; ValueError for one outside the bank (an
        absolute path, `..`, or a link leading out of the folder) or too large."""
        normal = posixpath.normpath(name)
        if normal.startswith(("../", "/")) or normal == "..":
            raise ValueError(f"{name} is outside the bank")
        if self.zip is not None:
            info = self.zip.getinfo(normal)
            if info.file_size > MAX_XML_BYTES * 4:
                raise ValueError("file too large")
            return self.zip.read(info)
        base = self.path.parent if self.path.is_file() else self.path
        found = inside(base, normal)
        if found is None:
            raise ValueError(f"{name} is outside the bank")
        if found.stat().st_size > MAX_XML_BYTES * 4:
            raise ValueError("file too large")
        return found.read_bytes()


def _depth(root: ET.Element) -> int:
    """Nesting depth, counted without recursion (a hostile file may nest 100,000 deep)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_XML_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in element)
    return deepest


def _local(tag: str) -> str:
    return tag.split("}", 1)[-1]


def _text(element: ET.Element, skip: tuple[str, ...] = ()) -> str:
    parts: list[str] = [element.text or ""]
    for child in element:
        if _local(child.tag) not in skip:
            parts.append(_text(child, skip))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _image(source: _Source, name: str, element: ET.Element) -> tuple[dict[str, str] | None, str]:
    """(image, "") or (None, src of a picture that is missing, outside the bank, not a
    PNG/JPEG/GIF, too large or damaged). A `data:` URI is an embedded picture."""
    img = next((e for e in element.iter() if _local(e.tag) == "img"), None)
    if img is None or not img.get("src"):
        return None, ""
    given = str(img.get("src"))
    try:
        if given.startswith("data:"):
            header, _, payload = given.partition(",")
            if ";base64" not in header or len(payload) > MAX_IMAGE_BYTES * 4 // 3 + 8:
                return None, given[:40]
            data = base64.b64decode(payload, validate=True)
            src = given[:40]
        else:
            src = str(PurePosixPath(name).parent / given)
            data = source.read(src)
    except (OSError, KeyError, ValueError):
        return None, given[:200]
    image, problem = picture(data, PurePosixPath(src).name)
    return (image, "") if problem is None else (None, src)


def _item(
    source: _Source, name: str, root: ET.Element, problems: list[Problem]
) -> dict[str, Any] | None:
    where = name
    ident = root.get("identifier") or ""
    before = len(problems)

    def bad(zh: str, en: str) -> None:
        problems.append(Problem(f"{where} ({ident or '?'})", zh, en))

    body = next((e for e in root.iter() if _local(e.tag) == "itemBody"), None)
    interaction = next((e for e in root.iter() if _local(e.tag) == "choiceInteraction"), None)
    if not ident:
        bad("缺少 identifier 属性", "assessmentItem has no identifier")
    if body is None or interaction is None:
        bad("只支持单选/多选题 (choiceInteraction)", "only choiceInteraction items are supported")
        return None
    response_id = interaction.get("responseIdentifier", "RESPONSE")
    declaration = next(
        (
            e
            for e in root.iter()
            if _local(e.tag) == "responseDeclaration" and e.get("identifier") == response_id
        ),
        None,
    )
    if declaration is None:
        bad(
            f"缺少 {response_id} 的 responseDeclaration",
            f"no responseDeclaration for {response_id}",
        )
        return None
    cardinality = declaration.get("cardinality", "single")
    correct_response = next((e for e in declaration if _local(e.tag) == "correctResponse"), None)
    correct = [
        (v.text or "").strip()
        for v in (correct_response if correct_response is not None else [])
        if _local(v.tag) == "value"
    ]
    choices = [e for e in interaction if _local(e.tag) == "simpleChoice"]
    if len(choices) < 2 or len(choices) > 10:
        bad("选项数量应为 2 到 10 个", "an item needs 2 to 10 choices")
        return None
    letters = "ABCDEFGHIJ"
    keys = {c.get("identifier", ""): letters[n] for n, c in enumerate(choices)}
    options: list[dict[str, Any]] = []
    for n, choice in enumerate(choices):
        option: dict[str, Any] = {"key": letters[n], "text": _text(choice)}
        image, missing = _image(source, name, choice)
        if missing:
            bad(f"找不到或不支持的图片 {missing}", f"image {missing} missing or not PNG/JPEG/GIF")
        if image:
            option["image"] = image
        options.append(option)
    if not correct or any(c not in keys for c in correct):
        bad("正确答案缺失或不是选项", "the correct response is missing or names no choice")
    texts = {o["text"].lower() for o in options}
    kind = (
        "X"
        if cardinality == "multiple"
        else ("TF" if len(options) == 2 and any(texts == pair for pair in TRUE_FALSE) else "A1")
    )
    if kind != "X" and len(correct) != 1:
        bad("单选题只能有一个正确答案", "a single-answer item has exactly one correct response")
    prompt = next((e for e in interaction if _local(e.tag) == "prompt"), None)
    stem = " ".join(
        s
        for s in (
            _text(body, skip=("choiceInteraction",)),
            _text(prompt) if prompt is not None else "",
        )
        if s
    )
    if not stem:
        bad("题干为空", "the stem is empty")
    image, missing = _image(source, name, body if prompt is None else prompt)
    if missing:
        bad(f"找不到或不支持的图片 {missing}", f"image {missing} missing or not PNG/JPEG/GIF")
    score = 1.0
    for outcome in root.iter():
        if _local(outcome.tag) == "outcomeDeclaration" and outcome.get("identifier") == "MAXSCORE":
            value = next((v.text for v in outcome.iter() if _local(v.tag) == "value"), None)
            parsed = parse_score(value)
            if parsed is None:
                bad(
                    "MAXSCORE 应为不超过 1000 的正数",
                    "MAXSCORE must be a positive number up to 1000",
                )
            score = parsed or 1.0
    if len(problems) > before:
        return None
    item: dict[str, Any] = {
        "item_id": ident,
        "kind": kind,
        "stem": stem,
        "options": options,
        "answer": sorted(keys[c] for c in correct),
        "score": score,
    }
    if image:
        item["image"] = image
    return item


def read_qti(path: Path, *, section_id: str = "S1", title: str = "") -> dict[str, Any]:
    """The paper (one section) of the QTI items at `path`; BankImportError on any problem."""
    problems: list[Problem] = []
    items: list[dict[str, Any]] = []
    try:
        source = _Source(path)
        names = source.names()
    except (OSError, zipfile.BadZipFile) as exc:
        raise BankImportError(
            [Problem(path.name, "无法打开题库文件", f"cannot open ({exc})")]
        ) from exc
    if len(names) > MAX_FILES:
        raise BankImportError([Problem(path.name, "文件过多", f"more than {MAX_FILES} files")])
    seen: set[str] = set()
    for name in names:
        try:
            data = source.read(name)
            if len(data) > MAX_XML_BYTES:
                raise ValueError("file too large")
            if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
                raise ValueError("DTDs and entities are not allowed")  # entity expansion
            root = ET.fromstring(data)
            if _depth(root) > MAX_XML_DEPTH:
                raise ValueError(f"elements nested deeper than {MAX_XML_DEPTH}")
        except ET.ParseError as exc:
            line, column = exc.position
            problems.append(
                Problem(f"{name}:{line}:{column}", "XML 格式错误", f"XML is malformed ({exc})")
            )
            continue
        except (OSError, KeyError, ValueError) as exc:
            problems.append(Problem(name, "无法读取", f"cannot read ({exc})"))
            continue
        if _local(root.tag) != "assessmentItem":
            continue  # the manifest, or other files of the package
        item = _item(source, name, root, problems)
        if item is not None:
            if item["item_id"] in seen:
                problems.append(
                    Problem(name, f"题号 {item['item_id']} 重复", "duplicate identifier")
                )
            seen.add(item["item_id"])
            items.append(item)
    if not problems and not items:
        problems.append(Problem(path.name, "没有找到 QTI 试题", "no QTI assessmentItem found"))
    if problems:
        raise BankImportError(problems)
    paper = {"sections": [{"section_id": section_id, "title": title, "items": items}]}
    try:
        check_paper(paper)
    except PaperError as exc:
        raise BankImportError([Problem(path.name, exc.zh, f"{exc.en} {exc.detail}")]) from exc
    return paper

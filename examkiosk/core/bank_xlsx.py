"""The Excel question-bank template (.xlsx): its columns, a blank template, the reader.

Sheet "试题" (the first sheet), header in row 1, one item per row from row 2:

  A 题号 item_id (unique)        B 部分编号 section_id    C 部分名称 section title
  D 题型 A1/A2/A3/A4/B1/X/TF     E 组号 group id (A3/A4/B1: rows of one group share it)
  F 共用题干 case stem (A3/A4; first row of the group, later rows may leave it empty)
  G 题干 stem                    H-M 选项A-F options (at least two, from A on, no gaps)
  N 答案 answer letters ("C"; X: "ABD")   O 分值 score (default 1)
  P 题干图片 image file name, relative to the .xlsx file's folder (PNG/JPEG/GIF)

TF rows may leave the options empty (A 正确, B 错误). Empty rows are skipped. Every problem is
reported with its row and column; the paper is returned only when there is none.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from examkiosk.core.bank import (
    BankImportError,
    Problem,
    cell_where,
    check_paper,
    load_image,
    parse_score,
)
from examkiosk.core.paper import ITEM_KINDS, SINGLE_ANSWER_KINDS, PaperError

COLUMNS = [
    ("A", "题号", "item_id"),
    ("B", "部分编号", "section_id"),
    ("C", "部分名称", "section_title"),
    ("D", "题型", "kind"),
    ("E", "组号", "group_id"),
    ("F", "共用题干", "group_stem"),
    ("G", "题干", "stem"),
    ("H", "选项A", "A"),
    ("I", "选项B", "B"),
    ("J", "选项C", "C"),
    ("K", "选项D", "D"),
    ("L", "选项E", "E"),
    ("M", "选项F", "F"),
    ("N", "答案", "answer"),
    ("O", "分值", "score"),
    ("P", "题干图片", "image"),
]
OPTION_LETTERS = "ABCDEF"
MAX_ROWS = 20_000
# 20,000 rows of text and a few pictures unpack to well under this.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
EXAMPLES = [
    [
        "A1-001",
        "S1",
        "第一部分 A型题",
        "A1",
        "",
        "",
        "成人心肺复苏时胸外按压的频率为",
        "60~80次/分",
        "80~100次/分",
        "100~120次/分",
        "120~140次/分",
        "140次/分以上",
        "",
        "C",
        1,
        "",
    ],
    [
        "A3-001",
        "S1",
        "第一部分 A型题",
        "A3",
        "G1",
        "女，30岁，发热3天伴咳嗽。",
        "首选检查是",
        "血常规",
        "胸部X线",
        "心电图",
        "腹部B超",
        "头颅CT",
        "",
        "B",
        1,
        "",
    ],
    [
        "A3-002",
        "S1",
        "第一部分 A型题",
        "A3",
        "G1",
        "",
        "首选治疗是",
        "抗病毒",
        "抗真菌",
        "手术",
        "抗生素",
        "观察",
        "",
        "D",
        1,
        "",
    ],
    [
        "B1-001",
        "S2",
        "第二部分 B1型题",
        "B1",
        "B1G1",
        "",
        "合成尿素的器官",
        "肝",
        "脾",
        "肾",
        "心",
        "肺",
        "",
        "A",
        1,
        "",
    ],
    [
        "X-001",
        "S3",
        "第三部分 X型题与判断题",
        "X",
        "",
        "",
        "属于核心制度的有",
        "首诊负责制度",
        "三级查房制度",
        "交接班制度",
        "绩效考核制度",
        "",
        "",
        "ABC",
        2,
        "",
    ],
    [
        "TF-001",
        "S3",
        "第三部分 X型题与判断题",
        "TF",
        "",
        "",
        "手卫生是预防医院感染最有效的措施。",
        "",
        "",
        "",
        "",
        "",
        "",
        "A",
        1,
        "",
    ],
]


def write_template(path: Path, *, examples: bool = True) -> None:
    """A blank template (header, column notes, a kind drop-down; example rows optional)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "试题"
    sheet.append([f"{zh} {en}" for _col, zh, en in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for col, width in zip(
        "ABCDEFGHIJKLMNOP", (10, 8, 18, 6, 8, 30, 40, 14, 14, 14, 14, 14, 14, 8, 6, 14), strict=True
    ):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A2"
    kinds = DataValidation(type="list", formula1='"' + ",".join(ITEM_KINDS) + '"', allow_blank=True)
    sheet.add_data_validation(kinds)
    kinds.add(f"D2:D{MAX_ROWS}")
    if examples:
        for row in EXAMPLES:
            sheet.append(row)
    notes = book.create_sheet("说明")
    notes.append(["列 column", "含义 meaning"])
    for line in (__doc__ or "").strip().splitlines()[2:]:
        notes.append(["", line.strip()])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def check_unpacked_size(path: Path) -> None:
    """Refuse a workbook whose parts would unpack to more than MAX_UNPACKED_BYTES, from the
    sizes its zip directory declares (zipfile never inflates a member past its declared
    size), before openpyxl opens it: 1 MB of .xlsx can otherwise inflate to gigabytes."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise BankImportError(
            [
                Problem(
                    path.name,
                    "无法打开：不是有效的 .xlsx 文件",
                    f"cannot open: not a valid .xlsx file ({type(exc).__name__})",
                )
            ]
        ) from exc
    total = sum(m.file_size for m in members)
    if len(members) > 10_000 or total > MAX_UNPACKED_BYTES:
        raise BankImportError(
            [
                Problem(
                    path.name,
                    f"表格解压后超过 {MAX_UNPACKED_BYTES // 2**20} MB，请拆分后导入",
                    f"the workbook unpacks to over {MAX_UNPACKED_BYTES // 2**20} MB; split it",
                )
            ]
        )


def read_xlsx(path: Path) -> dict[str, Any]:
    """The paper in a filled-in template; BankImportError listing every problem."""
    from openpyxl import load_workbook

    check_unpacked_size(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not .xlsx
        raise BankImportError(
            [
                Problem(
                    path.name,
                    "无法打开：不是有效的 .xlsx 文件",
                    f"cannot open: not a valid .xlsx file ({type(exc).__name__})",
                )
            ]
        ) from exc
    sheet = book.worksheets[0]
    problems: list[Problem] = []
    sections: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    group_stems: dict[str, str] = {}
    for row_number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if row_number > MAX_ROWS + 1:
            problems.append(
                Problem(
                    cell_where(row_number, "A"), f"超过 {MAX_ROWS} 行", f"more than {MAX_ROWS} rows"
                )
            )
            break
        cells = {
            key: _text(row[i] if i < len(row) else None) for i, (_c, _z, key) in enumerate(COLUMNS)
        }
        if not any(cells.values()):
            continue
        item = _row_item(cells, row_number, path.parent, seen, group_stems, problems)
        if item is None:
            continue
        section_id = cells["section_id"] or "S1"
        section = sections.setdefault(
            section_id, {"section_id": section_id, "title": cells["section_title"], "items": []}
        )
        section["title"] = section["title"] or cells["section_title"]
        section["items"].append(item)
    book.close()
    if not problems and not sections:
        problems.append(Problem(path.name, "表中没有试题", "the sheet holds no items"))
    if problems:
        raise BankImportError(problems)
    paper = {"sections": list(sections.values())}
    try:
        check_paper(paper)
    except PaperError as exc:
        raise BankImportError([Problem(path.name, exc.zh, f"{exc.en} {exc.detail}")]) from exc
    return paper


def _row_item(
    cells: dict[str, str],
    row: int,
    folder: Path,
    seen: dict[str, int],
    group_stems: dict[str, str],
    problems: list[Problem],
) -> dict[str, Any] | None:
    before = len(problems)

    def bad(column: str, zh: str, en: str) -> None:
        problems.append(Problem(cell_where(row, column), zh, en))

    item_id, kind = cells["item_id"], cells["kind"].upper()
    if not item_id:
        bad("A", "题号不能为空", "the item id is empty")
    elif item_id in seen:
        bad(
            "A",
            f"题号 {item_id} 与第{seen[item_id]}行重复",
            f"item id {item_id} repeats row {seen[item_id]}",
        )
    else:
        seen[item_id] = row
    if kind not in ITEM_KINDS:
        bad(
            "D",
            f"题型“{cells['kind']}”无效，应为 {'/'.join(ITEM_KINDS)}",
            f"kind {cells['kind']!r} is not one of {'/'.join(ITEM_KINDS)}",
        )
    if not cells["stem"]:
        bad("G", "题干不能为空", "the stem is empty")
    options: list[dict[str, str]] = []
    for n, letter in enumerate(OPTION_LETTERS):
        text = cells[letter]
        if text and len(options) < n:
            bad(
                "HIJKLM"[n], f"选项{letter}前面有空选项", f"option {letter} follows an empty option"
            )
        if text:
            options.append({"key": letter, "text": text})
    if kind == "TF" and not options:
        options = [{"key": "A", "text": "正确"}, {"key": "B", "text": "错误"}]
    if len(options) < 2:
        bad("H", "至少需要两个选项", "at least two options are needed")
    answer = sorted(set(cells["answer"].upper().replace(",", "").replace(" ", "")))
    valid = {o["key"] for o in options}
    if not answer:
        bad("N", "答案不能为空", "the answer is empty")
    elif not set(answer) <= valid:
        bad(
            "N",
            f"答案 {''.join(answer)} 不在已填写的选项中",
            f"answer {''.join(answer)} names missing options",
        )
    elif kind in SINGLE_ANSWER_KINDS and len(answer) != 1:
        bad("N", f"{kind} 型题只能有一个正确答案", f"a {kind} item has exactly one correct answer")
    parsed = parse_score(cells["score"])
    if parsed is None:
        bad("O", "分值应为不超过 1000 的正数", "the score must be a positive number up to 1000")
    score = parsed or 1.0
    group_id = cells["group_id"]
    if kind in ("A3", "A4", "B1") and not group_id:
        bad("E", f"{kind} 型题需要填写组号", f"a {kind} item needs a group id")
    if group_id and cells["group_stem"]:
        group_stems.setdefault(group_id, cells["group_stem"])
    if kind in ("A3", "A4") and group_id and group_id not in group_stems:
        bad("F", "该组第一题需要填写共用题干", "the first item of the group needs the case stem")
    image = None
    if cells["image"]:
        image, problem = load_image(Path(cells["image"]), folder)
        if problem:
            bad("P", *problem)
    if len(problems) > before:
        return None
    item: dict[str, Any] = {
        "item_id": item_id,
        "kind": kind,
        "stem": cells["stem"],
        "options": options,
        "answer": answer,
        "score": score,
    }
    if group_id:
        item["group"] = {"group_id": group_id, "stem": group_stems.get(group_id, "")}
    if image:
        item["image"] = image
    return item

"""Question-bank import: the Excel template and QTI 2.1; errors by row and column; nothing
half-imported."""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from examkiosk.core.bank import BankImportError
from examkiosk.core.bank_qti import read_qti
from examkiosk.core.bank_xlsx import read_xlsx, write_template
from tests.core.exam_fixtures import PNG


def test_template_round_trips_into_a_paper_of_every_kind(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    write_template(path)
    paper = read_xlsx(path)
    assert [s["section_id"] for s in paper["sections"]] == ["S1", "S2", "S3"]
    items = {i["item_id"]: i for s in paper["sections"] for i in s["items"]}
    assert items["X-001"]["answer"] == ["A", "B", "C"] and items["X-001"]["score"] == 2
    assert items["TF-001"]["options"][0]["text"] == "正确"
    assert items["A3-002"]["group"]["stem"] == "女，30岁，发热3天伴咳嗽。"  # inherited
    blank = tmp_path / "blank.xlsx"
    write_template(blank, examples=False)
    assert load_workbook(blank).worksheets[0].max_row == 1
    with pytest.raises(BankImportError, match="no items"):
        read_xlsx(blank)


def test_bad_rows_are_reported_by_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    write_template(path)
    book = load_workbook(path)
    sheet = book.worksheets[0]
    sheet["D2"] = "Z9"  # unknown kind
    sheet["N3"] = "F"  # answer names a missing option
    sheet["A4"] = "A3-001"  # duplicate id of row 3
    sheet["O5"] = "many"  # score not a number
    sheet["N6"] = "AB"  # fine for X... row 6 is X
    sheet["N7"] = "AB"  # TF takes one answer
    sheet["P2"] = "missing.png"
    book.save(path)
    with pytest.raises(BankImportError) as caught:
        read_xlsx(path)
    where = {p.where.split(" (")[0] for p in caught.value.problems}
    assert {"第2行 D列", "第3行 N列", "第4行 A列", "第5行 O列", "第7行 N列", "第2行 P列"} <= where
    assert "第6行" not in " ".join(where)
    assert "row 3, column N" in caught.value.en and "未导入任何试题" in caught.value.zh


def test_images_next_to_the_workbook_are_embedded(tmp_path: Path) -> None:
    (tmp_path / "ecg.png").write_bytes(base64.b64decode(PNG))
    path = tmp_path / "bank.xlsx"
    write_template(path)
    book = load_workbook(path)
    book.worksheets[0]["P2"] = "ecg.png"
    book.save(path)
    item = read_xlsx(path)["sections"][0]["items"][0]
    assert item["image"]["media_type"] == "image/png"


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(BankImportError, match="not a valid .xlsx"):
        read_xlsx(path)


QTI = """<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="{ident}"
    title="t" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="{card}" baseType="identifier">
    <correctResponse>{values}</correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="MAXSCORE" cardinality="single" baseType="float">
    <defaultValue><value>{score}</value></defaultValue>
  </outcomeDeclaration>
  <itemBody>
    <p>{stem}</p>{img}
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="{maxc}">
      {choices}
    </choiceInteraction>
  </itemBody>
</assessmentItem>"""


def qti(
    ident: str,
    stem: str,
    choices: list[str],
    correct: list[str],
    *,
    card: str = "single",
    score: int = 1,
    img: str = "",
) -> str:
    return QTI.format(
        ident=ident,
        card=card,
        score=score,
        stem=stem,
        maxc=0 if card == "multiple" else 1,
        values="".join(f"<value>{c}</value>" for c in correct),
        choices="".join(
            f'<simpleChoice identifier="C{n}">{t}</simpleChoice>' for n, t in enumerate(choices)
        ),
        img=f'<p><img src="{img}" alt=""/></p>' if img else "",
    )


def test_qti_content_package_becomes_a_paper(tmp_path: Path) -> None:
    package = tmp_path / "qti.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("imsmanifest.xml", "<manifest/>")
        z.writestr(
            "items/q1.xml",
            qti(
                "Q1",
                "青霉素过敏性休克首选",
                ["多巴胺", "肾上腺素", "地塞米松"],
                ["C1"],
                img="img/x.png",
            ),
        )
        z.writestr("items/img/x.png", base64.b64decode(PNG))
        z.writestr(
            "items/q2.xml",
            qti(
                "Q2",
                "属于甲类传染病的有",
                ["鼠疫", "霍乱", "麻疹"],
                ["C0", "C1"],
                card="multiple",
                score=2,
            ),
        )
        z.writestr("items/q3.xml", qti("Q3", "手卫生很重要。", ["正确", "错误"], ["C0"]))
    items = {i["item_id"]: i for i in read_qti(package)["sections"][0]["items"]}
    assert items["Q1"]["kind"] == "A1" and items["Q1"]["answer"] == ["B"]
    assert items["Q1"]["image"]["media_type"] == "image/png"
    assert items["Q2"]["kind"] == "X" and items["Q2"]["answer"] == ["A", "B"]
    assert items["Q2"]["score"] == 2
    assert items["Q3"]["kind"] == "TF"


def test_qti_errors_name_the_file_and_line_and_nothing_is_returned(tmp_path: Path) -> None:
    folder = tmp_path / "qti"
    folder.mkdir()
    (folder / "good.xml").write_text(qti("G", "题干", ["a", "b"], ["C0"]), encoding="utf-8")
    (folder / "broken.xml").write_text("<assessmentItem>\n  <itemBody>\n</assessmentItem>")
    (folder / "wrong.xml").write_text(qti("W", "题干", ["a", "b"], ["C7"]), encoding="utf-8")
    with pytest.raises(BankImportError) as caught:
        read_qti(folder)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "broken.xml:3:" in text
    assert "wrong.xml (W)" in text and "correct response" in text
    assert "good.xml" not in text

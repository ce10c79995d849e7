"""Question banks from outside: impossible scores, deep nesting, entity bombs, pictures from
outside the bank's folder, huge pictures and zip bombs are refused with the place named, or
(a large picture) scaled down to what the seat shows; `exam convert` writes nothing then and
shows no traceback."""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from examkiosk.core.bank import SEAT_PICTURE, BankImportError
from examkiosk.core.bank_qti import read_qti
from examkiosk.core.bank_xlsx import read_xlsx, write_template
from tests.app.sync_helpers import examkiosk
from tests.core.test_bank_import import qti


def png_claiming(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header claims width x height (what a bomb looks like)."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    ihdr = 8 + 4  # signature, chunk length
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 4 + 13]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def picture(width: int, height: int, kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, kind)
    return out.getvalue()


def workbook(tmp_path: Path, **cells: str) -> Path:
    path = tmp_path / "bank" / "bank.xlsx"
    path.parent.mkdir(exist_ok=True)
    write_template(path)
    book = load_workbook(path)
    for ref, value in cells.items():
        book.worksheets[0][ref] = value
    book.save(path)
    return path


def problems(caught: pytest.ExceptionInfo[BankImportError]) -> str:
    return "\n".join(str(p) for p in caught.value.problems)


@pytest.mark.parametrize("score", ["nan", "inf", "-inf", "-1", "0", "1e9"])
def test_scores_must_be_finite_and_positive(tmp_path: Path, score: str) -> None:
    with pytest.raises(BankImportError) as caught:
        read_xlsx(workbook(tmp_path, O2=score))
    assert "row 2, column O" in problems(caught)


@pytest.mark.parametrize("where", ["../outside.png", "/etc/hostname", "sub/../../outside.png"])
def test_pictures_from_outside_the_bank_folder_are_refused(tmp_path: Path, where: str) -> None:
    (tmp_path / "outside.png").write_bytes(picture(10, 10))
    with pytest.raises(BankImportError) as caught:
        read_xlsx(workbook(tmp_path, P2=where))
    assert "row 2, column P" in problems(caught) and "not inside" in problems(caught)


def test_a_link_leading_out_of_the_bank_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.png").write_bytes(picture(10, 10))
    path = workbook(tmp_path, P2="ecg.png")
    (path.parent / "ecg.png").symlink_to(tmp_path / "outside.png")
    with pytest.raises(BankImportError) as caught:
        read_xlsx(path)
    assert "not inside" in problems(caught)


def test_a_picture_claiming_too_many_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    path = workbook(tmp_path, P2="huge.png")
    (path.parent / "huge.png").write_bytes(png_claiming(20_000, 20_000))
    with pytest.raises(BankImportError) as caught:
        read_xlsx(path)
    assert "huge.png has too many pixels" in problems(caught)
    (path.parent / "huge.png").write_bytes(png_claiming(8000, 8000))  # under Pillow's guard
    with pytest.raises(BankImportError) as caught:
        read_xlsx(path)
    assert "huge.png has too many pixels (8000x8000)" in problems(caught)


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_large_picture_is_scaled_down_to_what_the_seat_shows(tmp_path: Path, kind: str) -> None:
    path = workbook(tmp_path, P2=f"scan.{kind.lower()}")
    (path.parent / f"scan.{kind.lower()}").write_bytes(picture(4000, 3000, kind))
    items = {i["item_id"]: i for s in read_xlsx(path)["sections"] for i in s["items"]}
    image = items["A1-001"]["image"]
    shown = Image.open(io.BytesIO(base64.b64decode(image["data_b64"])))
    assert shown.size[0] <= SEAT_PICTURE[0] and shown.size[1] <= SEAT_PICTURE[1]
    assert shown.size == (1440, 1080)  # the aspect ratio is kept
    assert image["media_type"] == f"image/{kind.lower()}"


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_before_it_is_opened(
    tmp_path: Path,
) -> None:
    bomb = tmp_path / "bomb.xlsx"
    block = b"\0" * (1 << 20)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(260):  # 260 MiB of zeros, about 250 KB packed
                member.write(block)
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(BankImportError) as caught:
        read_xlsx(bomb)
    assert "unpacks to over" in problems(caught)
    out = tmp_path / "paper.json"
    run = examkiosk("exam", "convert", str(bomb), "--out", str(out), ok=False)
    assert run.returncode != 0 and "unpacks to over" in run.stderr + run.stdout
    assert "Traceback" not in run.stderr + run.stdout and not out.exists()


def test_qti_deep_nesting_entity_bombs_and_escaping_pictures_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "qti"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(picture(5, 5))
    (folder / "deep.xml").write_text(
        '<assessmentItem identifier="D">' + "<div>" * 5000 + "x" + "</div>" * 5000
        + "</assessmentItem>"
    )  # fmt: skip
    (folder / "laughs.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<assessmentItem identifier="L">&lol2;</assessmentItem>'
    )
    (folder / "escape.xml").write_text(
        qti("E", "题干", ["a", "b"], ["C0"], img="../secret.png"), encoding="utf-8"
    )
    (folder / "nan.xml").write_text(
        qti("N", "题干", ["a", "b"], ["C0"], score="NaN"), encoding="utf-8"
    )  # type: ignore[arg-type]
    with pytest.raises(BankImportError) as caught:
        read_qti(folder)
    text = problems(caught)
    assert "deep.xml: cannot read (elements nested deeper than 64)" in text
    assert "laughs.xml: cannot read (DTDs and entities are not allowed)" in text
    assert "../secret.png missing or not PNG/JPEG/GIF" in text
    assert "MAXSCORE must be a positive number" in text
    out = tmp_path / "paper.json"
    run = examkiosk("exam", "convert", str(folder), "--out", str(out), ok=False)
    assert run.returncode != 0 and "Traceback" not in run.stderr + run.stdout
    assert "deep.xml" in run.stderr + run.stdout and not out.exists()

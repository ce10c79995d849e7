"""China's resident ID reader (GA/T 467 over serial) against the emulator on a pty pair."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.cards.document import DocumentType, ReadingMethod
from hardware.cards.errors import (
    MalformedCardData,
    ResidentIdReadFailed,
    SerialReaderError,
    UnknownLayout,
)
from hardware.cards.gat467 import Gat467Reader, decode_frame, encode_frame
from hardware.cards.wlt import NO_PHOTO_EN, WltDecoder, WltDecoderUnavailable
from hardware.sim.gat467_emulator import (
    Gat467Emulator,
    foreign_2023_text,
    foreign_text,
    resident_text,
)

WLT = bytes(range(256)) * 4


@pytest.fixture
def emulator() -> Iterator[Gat467Emulator]:
    with Gat467Emulator() as emu:
        yield emu


@pytest.fixture
def reader(emulator: Gat467Emulator) -> Iterator[Gat467Reader]:
    r = Gat467Reader(emulator.port, frame_timeout=0.5, poll_interval=0.05)
    yield r
    r.close()


def test_find_card_frame_is_the_documented_one() -> None:
    assert encode_frame(b"\x20\x01").hex() == "aaaaaa9669000320012" + "2"


def test_resident_id_card_is_read_with_all_base_fields(
    emulator: Gat467Emulator, reader: Gat467Reader
) -> None:
    assert reader.read(0.2) is None  # nothing on the reader yet
    emulator.place(resident_text(), WLT)
    doc = reader.read(2)
    assert doc is not None
    assert doc.doc_type == DocumentType.CN_RESIDENT_ID
    assert doc.reading_method == ReadingMethod.GAT467_SERIAL
    assert (doc.name, doc.number, doc.sex) == ("张伟", "110108199001151234", "M")
    assert doc.birth_date is not None and doc.birth_date.isoformat() == "1990-01-15"
    assert doc.extra["ethnic_group"] == "汉"
    assert doc.extra["address"] == "北京市海淀区中关村大街1号"
    assert doc.extra["issuing_authority"] == "北京市公安局海淀分局"
    assert doc.valid_until is not None and doc.valid_until.year == 2040
    assert doc.photo is None and doc.extra["photo_note_en"] == NO_PHOTO_EN
    assert doc.raw["wlt_photo"] == WLT.hex()
    # still lying there: not read twice; taken away and put back: read again
    assert reader.read(0.2) is None
    emulator.take_away()
    assert reader.read(0.2) is None
    emulator.place(resident_text(end="长期"), WLT)
    again = reader.read(2)
    assert again is not None and again.valid_until is None
    assert again.extra["valid_until_text"] == "长期"


def test_hmt_residence_permit_and_foreign_permanent_layouts(
    emulator: Gat467Emulator, reader: Gat467Reader
) -> None:
    emulator.place(resident_text(name="陈大文", card_type="J", number="810000199001151233"))
    hmt = reader.read(2)
    assert hmt is not None and hmt.doc_type == DocumentType.CN_HMT_RESIDENCE
    assert hmt.nationality == "HKG" and hmt.number == "810000199001151233"
    emulator.take_away()
    reader.read(0.1)
    emulator.place(foreign_text())
    foreign = reader.read(2)
    assert foreign is not None and foreign.doc_type == DocumentType.CN_FOREIGN_PERMANENT
    assert (foreign.number, foreign.nationality) == ("USA110090011501", "USA")
    assert foreign.extra["english_name"] == "SMITH JOHN" and foreign.name == "史密斯"


def test_2023_foreign_permanent_resident_layout(
    emulator: Gat467Emulator, reader: Gat467Reader
) -> None:
    # the National Immigration Administration's published sample number: a Saudi (682) man
    # born 1985-01-01 who applied in Jiangsu (32)
    long_name = "ABDULLAH BIN MOHAMMED, ABDULRAHMAN KHALID FAISAL"  # over 35 characters
    emulator.place(
        foreign_2023_text(
            chinese="阿卜杜拉", english=long_name, birth="19850101",
            number="932682198501010017", nationality="SAU", renewals="01",
        )
    )  # fmt: skip
    doc = reader.read(2)
    assert doc is not None and doc.doc_type == DocumentType.CN_FOREIGN_PERMANENT
    assert (doc.number, doc.name, doc.sex, doc.nationality) == (
        "932682198501010017",
        "阿卜杜拉",
        "M",
        "SAU",
    )
    assert doc.extra["english_name"] == long_name[:46]
    assert doc.extra["card_version"] == "2023" and doc.extra["nationality_number"] == "682"
    assert doc.birth_date is not None and doc.birth_date.isoformat() == "1985-01-01"


def test_2023_number_with_a_wrong_check_digit_is_refused(
    emulator: Gat467Emulator, reader: Gat467Reader
) -> None:
    emulator.place(foreign_2023_text(birth="19850101", number="932682198501010018"))
    with pytest.raises(MalformedCardData) as info:
        reader.read(2)
    assert "check digit" in info.value.detail


def test_unknown_layout_is_reported_not_guessed(
    emulator: Gat467Emulator, reader: Gat467Reader
) -> None:
    emulator.place(resident_text(card_type="Z"))
    with pytest.raises(UnknownLayout) as info:
        reader.read(2)
    assert "不支持的证件版式" in info.value.zh


def test_wrong_check_digit_from_the_card_is_refused(
    emulator: Gat467Emulator, reader: Gat467Reader
) -> None:
    emulator.place(resident_text(number="110108199001151235"))
    with pytest.raises(MalformedCardData):
        reader.read(2)


def test_one_bad_checksum_is_retried_a_persistent_one_is_an_error(
    emulator: Gat467Emulator, reader: Gat467Reader
) -> None:
    emulator.place(resident_text())
    emulator.corrupt_next = 1
    assert reader.read(2) is not None
    emulator.take_away()
    reader.read(0.1)
    emulator.place(resident_text())
    emulator.corrupt_next = 10
    with pytest.raises(SerialReaderError) as info:
        reader.read(2)
    assert "checksum" in info.value.detail


def test_truncated_frame_and_silent_reader_are_serial_errors(
    emulator: Gat467Emulator, reader: Gat467Reader
) -> None:
    emulator.place(resident_text())
    emulator.truncate_next = True
    doc = reader.read(2)  # the truncated answer is retried once
    assert doc is not None
    emulator.mute = True
    with pytest.raises(SerialReaderError) as info:
        reader.read(2)
    assert "阅读器通信失败" in info.value.zh
    emulator.mute = False
    emulator.take_away()
    assert reader.read(0.2) is None  # recovers once the reader answers again


def test_card_the_sam_cannot_read_gives_a_clear_message(
    emulator: Gat467Emulator, reader: Gat467Reader
) -> None:
    emulator.place(resident_text())
    emulator.status_override[(0x30, 0x01)] = 0x41
    with pytest.raises(ResidentIdReadFailed) as info:
        reader.read(2)
    assert "平放" in info.value.zh


def test_missing_port_is_a_serial_reader_error() -> None:
    with pytest.raises(SerialReaderError):
        Gat467Reader("/dev/nonexistent-ttyUSB9").read(0.1)


def test_truncated_or_tampered_frames_do_not_decode() -> None:
    frame = encode_frame(bytes([0, 0, 0x90]) + b"abc")
    assert decode_frame(frame).data == b"abc"
    with pytest.raises(MalformedCardData):
        decode_frame(frame[:-2])
    with pytest.raises(MalformedCardData):
        decode_frame(frame[:-1] + bytes([frame[-1] ^ 1]))


@pytest.fixture(scope="module")
def fake_wlt_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for the vendor's libwlt.so with the same C signature."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler to build the stand-in WLT decoder")
    src = tmp_path_factory.mktemp("wlt") / "wlt.c"
    src.write_text(
        """
        #include <string.h>
        int unpack(const char *wlt, char *bmp, int code) {
            if (code != 602) return -1;
            unsigned char h[54] = {'B','M'};
            int size = 38862, w = 102, hgt = 126;
            memcpy(h + 2, &size, 4); h[10] = 54; h[14] = 40;
            memcpy(h + 18, &w, 4); memcpy(h + 22, &hgt, 4); h[26] = 1; h[28] = 24;
            memcpy(bmp, h, 54);
            for (int i = 54; i < size; i++) bmp[i] = (char)(wlt[i % 1024]);
            return 1;
        }
        """
    )
    lib = src.with_suffix(".so")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return lib


def test_vendor_decoder_turns_wlt_into_a_jpeg_photo(
    emulator: Gat467Emulator, fake_wlt_library: Path
) -> None:
    reader = Gat467Reader(emulator.port, wlt_decoder=WltDecoder(fake_wlt_library))
    try:
        emulator.place(resident_text(), WLT)
        doc = reader.read(2)
    finally:
        reader.close()
    assert doc is not None and doc.photo is not None
    assert doc.photo[:3] == b"\xff\xd8\xff" and "photo_note_en" not in doc.extra


def test_decoder_path_that_does_not_load_says_so() -> None:
    with pytest.raises(WltDecoderUnavailable) as info:
        WltDecoder("/nonexistent/libwlt.so")
    assert "报名照片" in info.value.zh

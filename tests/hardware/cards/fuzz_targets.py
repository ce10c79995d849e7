"""Fuzz targets for the card parsers: each takes untrusted bytes and may only raise the
documented `CardError` subclasses (never IndexError, ValueError, a hang or a crash).

Used by tests/hardware/cards/test_fuzz_parsers.py (hypothesis, short) and by
benchmarks/fuzz_cards.py (long run: `.venv/bin/python benchmarks/fuzz_cards.py --seconds 600`).
"""

from __future__ import annotations

from collections.abc import Callable

from hardware.cards import access, cn_layouts, csca, eid, emrtd, gat467, security_infos, sod, tlv
from hardware.cards.document import PassiveAuth
from hardware.cards.eid_be import parse as parse_be
from hardware.cards.errors import CardError, CscaListError, MalformedCardData, UnknownLayout
from hardware.cards.mrz import parse_mrz


def fuzz_tlv(data: bytes) -> None:
    try:
        for item in tlv.walk(data):
            assert item.raw.endswith(item.value)
    except MalformedCardData:
        pass


def fuzz_sod(data: bytes) -> None:
    try:
        sod.parse_sod(data)
    except MalformedCardData:
        pass
    result = sod.passive_authentication(data, {1: data[:10]})
    assert result.status in (PassiveAuth.FAILED, PassiveAuth.NO_CSCA)  # never PASSED without a list


def fuzz_dg2(data: bytes) -> None:
    try:
        emrtd.face_image(data)
    except MalformedCardData:
        pass


def fuzz_gat467_frame(data: bytes) -> None:
    try:
        answer = gat467.decode_frame(data)
        gat467.split_base(answer.data)
    except MalformedCardData:
        pass


def fuzz_base_text(data: bytes) -> None:
    try:
        cn_layouts.parse_base_text(data, photo=None, raw={})
    except (MalformedCardData, UnknownLayout):
        pass


def fuzz_eid(data: bytes) -> None:
    try:
        parse_be({"identity": data}, None)
    except MalformedCardData:
        pass
    try:
        eid.parse_simple_tlv(data)
    except MalformedCardData:
        pass


def fuzz_mrz(data: bytes) -> None:
    try:
        parse_mrz(data.decode("latin-1"))
    except CardError:
        pass


def fuzz_security_infos(data: bytes) -> None:
    """EF.CardAccess / DG14 as a chip sends them, before any check."""
    access.pace_info(data)  # never raises: an odd EF.CardAccess means "no PACE"
    try:
        infos = security_infos.parse(data)
        security_infos.pace_infos(infos)
        security_infos.chip_auth(infos)
        security_infos.aa_signature_oid(infos)
    except MalformedCardData:
        pass


def fuzz_master_list(data: bytes) -> None:
    try:
        csca.master_list_certificates(data)
    except CscaListError:
        pass


def fuzz_file_header(data: bytes) -> None:
    try:
        need = tlv.header_size(data[:4])
        if len(data) >= need:
            tlv.expected_total_length(data[:need])
    except MalformedCardData:
        pass


TARGETS: dict[str, Callable[[bytes], None]] = {
    "security_infos": fuzz_security_infos,
    "master_list": fuzz_master_list,
    "file_header": fuzz_file_header,
    "tlv": fuzz_tlv,
    "sod": fuzz_sod,
    "dg2": fuzz_dg2,
    "gat467_frame": fuzz_gat467_frame,
    "base_text": fuzz_base_text,
    "eid": fuzz_eid,
    "mrz": fuzz_mrz,
}

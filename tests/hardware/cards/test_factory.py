"""Readers chosen by configuration, as the station's config names them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from hardware.cards.factory import open_reader
from hardware.cards.gat467 import Gat467Reader
from hardware.cards.pcsc import PcscCardReader
from hardware.cards.wlt import WltDecoderUnavailable
from hardware.sim.card_queue import QueueCardReader
from hardware.sim.emrtd_card import DemoPki, EmrtdCard, issue_passport
from hardware.sim.pcscd_service import PrivatePcscd
from hardware.sim.vpcd import VpcdSlot


def test_sim_and_gat467_kinds() -> None:
    assert isinstance(open_reader("sim", {}), QueueCardReader)
    reader = open_reader("gat467", {"port": "/dev/ttyUSB0", "baud": "9600"})
    assert isinstance(reader, Gat467Reader) and reader.baud == 9600


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("manual", {}, "not a reader"),
        ("nfc", {}, "unknown card reader kind"),
        ("gat467", {}, "port"),
        ("pcsc", {"mrz": "E1,900115"}, "DOCNO,BIRTH,EXPIRY"),
    ],
)
def test_bad_configuration_is_a_clear_value_error(
    kind: str, options: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        open_reader(kind, options)


def test_missing_wlt_decoder_library_is_reported_at_open() -> None:
    with pytest.raises(WltDecoderUnavailable):
        open_reader("gat467", {"port": "/dev/ttyUSB0", "wlt_decoder": "/nope/libwlt.so"})


def test_pcsc_kind_with_mrz_and_csca_file_reads_a_passport(
    pcscd: PrivatePcscd, pki: DemoPki, tmp_path: Path
) -> None:
    csca = tmp_path / "csca.pem"
    csca.write_bytes(pki.csca_cert.public_bytes(serialization.Encoding.PEM))
    passport = issue_passport(pki=pki)
    key = passport.key
    reader = open_reader(
        "pcsc",
        {
            "reader": pcscd.readers[0],
            "mrz": f"{key.document_number},{key.birth_yymmdd},{key.expiry_yymmdd}",
            "csca": str(csca),
        },
    )
    assert isinstance(reader, PcscCardReader)
    try:
        with VpcdSlot(EmrtdCard(passport), pcscd.port):
            doc = reader.read(5)
    finally:
        reader.close()
    assert doc is not None and doc.extra["csca"] == "trusted"

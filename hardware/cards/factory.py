"""Open the card reader a station's configuration names.

kind "pcsc":   options `reader` (name substring, default any), `mrz` ("DOCNO,BIRTH,EXPIRY"
               or a scanned TD1/TD3 zone, check digits verified; a fixed key, mostly for
               the command line), `can` (6 digits: PACE's card access number), `csca` (comma-separated paths:
               CSCA master lists, CSCA certificates PEM or DER, folders of them, CRLs;
               enables signer-chain checks, see hardware.cards.csca),
               `exchange_timeout` (seconds, default 5).
kind "gat467": options `port` (e.g. /dev/ttyUSB0 or COM3, or "auto": the first USB-serial port with
               a known reader USB id that answers, see hardware.cards.serial_find),
               `usb_ids` (extra "VID:PID,..." for "auto"), `baud` (default 115200),
               `wlt_decoder` (path of the vendor's WLT photo library), `wlt_code`.
kind "sim":    the simulated queue reader of the demo and the rehearsal.
Manual entry is not a reader: see `hardware.cards.manual`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from hardware.cards.csca import TrustStore, load_trust
from hardware.cards.document import CardReader
from hardware.cards.gat467 import Gat467Reader
from hardware.cards.mrz import AccessKey, can_from_text, key_from_text
from hardware.cards.pcsc import PcscCardReader
from hardware.cards.serial_find import example_port, find_gat467_port, parse_usb_ids
from hardware.cards.wlt import WltDecoder

KINDS = ("pcsc", "gat467", "sim")


def load_certificates(paths: str) -> TrustStore:
    """The trust store from comma-separated paths; CscaListError names a bad file."""
    return load_trust(filter(None, (p.strip() for p in paths.split(","))))


def open_reader(kind: str, options: Mapping[str, str]) -> CardReader:
    """A reader ready for `read(timeout)`. ValueError for a bad configuration (MrzTextError,
    a ValueError with zh/en, for unusable MRZ or CAN text); CscaListError for a bad CSCA list."""
    if kind == "pcsc":
        fixed: list[AccessKey] = []
        if options.get("mrz"):
            fixed.append(key_from_text(options["mrz"]))
        if options.get("can"):
            fixed.append(can_from_text(options["can"]))
        return PcscCardReader(
            options.get("reader", ""),
            bac_keys=(lambda: fixed) if fixed else None,
            csca=load_certificates(options.get("csca", "")),
            exchange_timeout=float(options.get("exchange_timeout", "5")),
        )
    if kind == "gat467":
        if not options.get("port"):
            example = example_port(sys.platform)
            raise ValueError(f"gat467 reader needs a `port` (e.g. {example}, or auto)")
        port = options["port"]
        if port == "auto":
            port = find_gat467_port(
                parse_usb_ids(options.get("usb_ids", "")), int(options.get("baud", "115200"))
            )
        decoder = None
        if options.get("wlt_decoder"):
            decoder = WltDecoder(options["wlt_decoder"], code=int(options.get("wlt_code", "602")))
        return Gat467Reader(port, int(options.get("baud", "115200")), wlt_decoder=decoder)
    if kind == "sim":
        from hardware.sim.card_queue import QueueCardReader

        return QueueCardReader()
    if kind == "manual":
        raise ValueError("manual entry is not a reader: use hardware.cards.manual")
    raise ValueError(f"unknown card reader kind {kind!r}; expected one of {', '.join(KINDS)}")

"""What can go wrong at the card reader, each with a sentence an invigilator can act on.

Every class is a `DeviceError` (zh/en/detail). The door screen shows `zh` (or `en`), the log
keeps `detail`. All of them are recoverable: the reader object stays usable and the next
`read()` starts afresh.
"""

from __future__ import annotations

from hardware.errors import DeviceError


class CardError(DeviceError):
    """Base class for card and reader problems."""


class PcscUnavailable(CardError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "智能卡服务（pcscd）未运行，读卡器无法使用。请联系技术人员重启读卡服务，或改用手工录入。",
            "The smart-card service (pcscd) is not running, so the reader cannot be used. "
            "Ask the technician to restart it, or use manual entry.",
            detail=detail,
        )


class ReaderNotFound(CardError):
    def __init__(self, wanted: str = "", detail: str = "") -> None:
        what = f"“{wanted}”" if wanted else ""
        super().__init__(
            f"未找到读卡器{what}。请检查读卡器的 USB 线是否插好，插好后再试。",
            (f"Card reader {wanted!r} not found. " if wanted else "No card reader found. ")
            + "Check that the reader's USB cable is plugged in, then try again.",
            detail=detail,
        )


class ReaderRemoved(CardError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "读卡器已被拔出。请重新插好读卡器，再让考生重新放卡。",
            "The card reader was unplugged. Plug it back in and present the card again.",
            detail=detail,
        )


class CardRemoved(CardError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "读卡过程中证件被移开。请将证件平放在读卡器上，保持不动直到提示完成。",
            "The card was taken away while it was being read. Put it flat on the reader and "
            "hold it still until the screen says it is done.",
            detail=detail,
        )


class CardNotResponding(CardError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "证件无响应。请拿开证件，稍等两秒后重新放卡；仍不行请改用手工录入。",
            "The card does not answer. Take it away, wait two seconds and present it again; "
            "if it still fails, use manual entry.",
            detail=detail,
        )


class UnknownCard(CardError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "无法识别此卡，它不是本系统支持的证件。请出示身份证件、护照，或改用手工录入。",
            "This card is not a supported identity document. Ask for the ID card or passport, "
            "or use manual entry.",
            detail=detail,
        )


class BacKeyNeeded(CardError):
    """An ICAO chip (passport or ID card) was found but no key was given to open it."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "这是护照或电子身份证的芯片，需要证件号码、出生日期和有效期才能读取"
            "（新式身份证也可输入正面的 6 位 CAN）。请扫描证件的机读码，或手工输入；"
            "证件留在读卡器上即可。",
            "This is a passport or ID card chip: reading it needs the document number, birth "
            "date and expiry date (newer ID cards also take the 6-digit CAN on their front). "
            "Scan the machine-readable lines or type the items; leave the document on the "
            "reader.",
            detail=detail,
        )


class AccessDenied(CardError):
    """The chip refused the BAC key: the typed or roster MRZ data do not match this document."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "芯片拒绝访问：证件号码、出生日期或有效期与此证件不符。请核对证件资料页后重新输入。",
            "The chip refused access: the document number, birth date or expiry date do not "
            "match this document. Check them against the data page and type them again.",
            detail=detail,
        )


class MalformedCardData(CardError):
    """The card (or serial reader) sent data that does not parse. Nothing from it is used."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "证件数据读取不完整或格式错误，本次读取结果已丢弃。请重新放卡；多次失败请改用手工录入并记录原因。",
            "The card's data was incomplete or malformed, so this reading was discarded. "
            "Present the card again; if it keeps failing, use manual entry and note why.",
            detail=detail,
        )


class SecureMessagingError(CardError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "与芯片的加密通信出错，本次读取结果已丢弃。请拿开证件后重新放卡。",
            "Encrypted communication with the chip failed and this reading was discarded. "
            "Take the card away and present it again.",
            detail=detail,
        )


class UnknownLayout(CardError):
    """A GA/T 467 reader returned a card layout this driver does not know (never guessed)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "读卡器返回了本系统尚不支持的证件版式，未作解析。请核对证件原件后使用手工录入。",
            "The reader returned a card layout this system does not know, so it was not "
            "parsed. Check the card by eye and use manual entry.",
            detail=detail,
        )


class SerialReaderError(CardError):
    """The GA/T 467 (resident ID) reader did not answer properly on its serial port."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "身份证阅读器通信失败。请检查阅读器的 USB 线和电源，拔插后再试；仍不行请改用手工录入。",
            "The resident-ID reader is not communicating. Check its USB cable and power, "
            "replug it and try again; if it still fails, use manual entry.",
            detail=detail,
        )


class ResidentIdReadFailed(CardError):
    """The SAM reader found a card but could not read or authenticate it."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "身份证读取失败。请将身份证平放在阅读器感应区中央，保持不动后重试。",
            "The resident ID card could not be read. Lay it flat in the middle of the reader, "
            "hold it still and try again.",
            detail=detail,
        )


class InvalidIdNumber(CardError):
    """A typed (or read) Chinese ID number is not valid; raised by `hardware.cards.manual`."""

    def __init__(self, zh: str, en: str, detail: str = "") -> None:
        super().__init__(zh, en, detail=detail)


class CscaListError(CardError, ValueError):
    """The configured CSCA master list, certificate folder or CRL cannot be used (also a
    ValueError: like any other bad reader option, it is a configuration mistake)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "CSCA 证书列表无法使用（文件损坏、格式不符或签名不符），证件芯片的签发机构无法核验。"
            "请技术人员重新下载主列表或证书后再配置。",
            "The CSCA list (master list, certificate folder or CRL) cannot be used: the file is "
            "damaged, in an unknown format or its signature does not verify, so chip signers "
            "cannot be checked. Ask the technician to download the list again and reconfigure.",
            detail=detail,
        )

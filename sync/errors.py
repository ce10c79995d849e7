"""Errors a person can meet while moving packages and bundles, in both user-facing languages.

Every class carries `zh` and `en` (whole sentences for the screen: what went wrong and what
to do) and `detail` (for the log only, never shown as the message). `str()` gives the English
text plus detail, like `hardware.errors.DeviceError`. Subclasses have default messages so that
code deep in a reader can raise them with only a `detail`.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error of `sync` that a user can meet."""

    def __init__(self, zh: str, en: str, *, detail: str = "") -> None:
        super().__init__(en if not detail else f"{en} ({detail})")
        self.zh = zh
        self.en = en
        self.detail = detail


class FormatError(SyncError):
    """A file is damaged, truncated, tampered with, or of an unknown format, version or algorithm."""

    def __init__(
        self,
        zh: str = "文件已损坏或不完整，无法使用。请从原始来源重新复制该文件后再试。",
        en: str = "The file is damaged or incomplete and cannot be used. "
        "Copy it again from its source and retry.",
        *,
        detail: str = "",
    ) -> None:
        super().__init__(zh, en, detail=detail)


class BadSignature(FormatError):
    """The signature does not match the content: damaged in transit or altered."""

    def __init__(self, *, detail: str = "") -> None:
        super().__init__(
            "文件签名校验失败：文件在传输中损坏或已被改动。请从原始来源重新获取该文件。",
            "The file's signature does not match its content: it was damaged in transit "
            "or altered. Obtain the file again from its source.",
            detail=detail,
        )


class UnexpectedSigner(FormatError):
    """A valid signature, but by a key other than the one the reader expected."""

    def __init__(self, *, signer_key_id: str, detail: str = "") -> None:
        super().__init__(
            "文件由未知的密钥签发，不予接受。请确认文件来自正确的考点或考试中心。",
            "The file was signed by an unknown key and is not accepted. Check that it comes "
            "from the right venue or exam centre.",
            detail=detail or f"signer key {signer_key_id}",
        )
        self.signer_key_id = signer_key_id


class NotARecipient(FormatError):
    """The content is not encrypted to the key the reader holds."""

    def __init__(self, *, detail: str = "") -> None:
        super().__init__(
            "该文件不是发给本机的，本机的密钥无法解密。请确认使用的是发给本考点、本机的文件。",
            "This file was not encrypted for this machine's key and cannot be decrypted. "
            "Use the file issued for this venue and station.",
            detail=detail,
        )


class WrongPassphrase(SyncError):
    """A passphrase or paper password did not open what it was meant to open."""

    def __init__(
        self,
        zh: str = "密码不正确。请核对后重新输入（注意大小写和全角/半角）。",
        en: str = "The password is not correct. Check it and enter it again "
        "(mind upper/lower case).",
        *,
        detail: str = "",
    ) -> None:
        super().__init__(zh, en, detail=detail)


PACKAGE_REFUSAL_MESSAGES: dict[str, tuple[str, str]] = {
    "bad_signature": (
        "考试包签名无效：文件已损坏或被改动，不能导入。请从考试中心重新获取考试包。",
        "The exam package's signature is invalid: the file is damaged or was altered and "
        "cannot be imported. Obtain the package again from the exam centre.",
    ),
    "unknown_key": (
        "考试包不是由本机认可的考试中心密钥签发的，不能导入。请联系考试中心确认密钥。",
        "The exam package was not signed by the exam centre key this station trusts and "
        "cannot be imported. Contact the exam centre to confirm the key.",
    ),
    "expired": (
        "考试包已过有效期，不能导入。请从考试中心获取当前的考试包。",
        "The exam package has expired and cannot be imported. Obtain the current package "
        "from the exam centre.",
    ),
    "not_yet_valid": (
        "考试包尚未到生效时间。请检查本机日期和时间是否正确，或在生效后再导入。",
        "The exam package is not valid yet. Check this computer's date and time, or import "
        "it once it becomes valid.",
    ),
    "wrong_venue": (
        "该考试包属于其他考点，不能在本考点导入。请使用发给本考点的考试包。",
        "This exam package belongs to another venue and cannot be imported here. Use the "
        "package issued for this venue.",
    ),
    "rollback": (
        "该考试包的版本低于本机已导入的版本，不能导入。请使用最新版本的考试包。",
        "This exam package is older than the version already imported on this station and "
        "cannot be imported. Use the latest package.",
    ),
    "not_for_this_station": (
        "该考试包未发给本机（本机密钥无法解密）。请确认本机已在考试中心登记，并使用发给本机的考试包。",
        "This exam package was not issued to this station (its key cannot decrypt it). Check "
        "that the station is registered with the exam centre and use the package issued to it.",
    ),
}


class PackageRefused(SyncError):
    """A well-formed exam package that this station must not accept.

    `reason` is one of the keys of PACKAGE_REFUSAL_MESSAGES; when `zh`/`en` are not given the
    standard message for the reason is used.
    """

    def __init__(
        self,
        zh: str | None = None,
        en: str | None = None,
        *,
        reason: str,
        detail: str = "",
    ) -> None:
        default_zh, default_en = PACKAGE_REFUSAL_MESSAGES.get(
            reason,
            ("考试包被拒绝，不能导入。", "The exam package was refused and cannot be imported."),
        )
        super().__init__(zh or default_zh, en or default_en, detail=detail)
        self.reason = reason


class BundleCancelled(SyncError):
    """The administrator cancelled writing a bundle; nothing was left on the drive."""

    def __init__(
        self,
        zh: str = "已取消导出，U盘上没有留下不完整的文件。",
        en: str = "Export cancelled; no incomplete file was left on the drive.",
        *,
        detail: str = "",
    ) -> None:
        super().__init__(zh, en, detail=detail)


class MediaError(SyncError):
    """A drive could not be written or read: read-only, full, removed, or failing.

    `problem` is "read_only" | "full" | "vanished" | "io" so that callers can pick an icon
    or offer another drive without parsing the message.
    """

    def __init__(self, zh: str, en: str, *, problem: str = "io", detail: str = "") -> None:
        super().__init__(zh, en, detail=detail)
        self.problem = problem

"""Errors of the central service that an administrator or a station can meet.

Each carries `reason`, the machine-readable code the HTTP API answers with.
"""

from __future__ import annotations

from sync.errors import SyncError


class CentralError(SyncError):
    reason = "central_error"
    status = 400


class NotInitialised(CentralError):
    reason = "not_initialised"
    status = 503

    def __init__(self, home: str) -> None:
        super().__init__(
            f"中心服务目录 {home} 尚未初始化。请先运行 examkiosk-central --home {home} init。",
            f"The central home {home} is not initialised. "
            f"Run `examkiosk-central --home {home} init` first.",
        )


class AlreadyInitialised(CentralError):
    reason = "already_initialised"

    def __init__(self, home: str) -> None:
        super().__init__(
            f"中心服务目录 {home} 已有密钥，未做任何更改。如需新密钥，请使用新的目录。",
            f"The central home {home} already has keys; nothing was changed. "
            "Use a new home directory if you need new keys.",
        )


class UnknownStation(CentralError):
    reason = "unknown_station"
    status = 403

    def __init__(self, station_id: str) -> None:
        super().__init__(
            f"考站 {station_id} 未在中心登记，数据被拒收。请管理员先登记该考站。",
            f"Station {station_id!r} is not registered at the centre; its data was refused. "
            "Register the station (examkiosk-central register-station) first.",
        )


class SignatureRefused(CentralError):
    reason = "bad_signature"
    status = 401

    def __init__(self, station_id: str, detail: str = "") -> None:
        super().__init__(
            f"考站 {station_id} 的数据签名无效，数据被拒收。请确认考站密钥与中心登记的一致。",
            f"The signature on data from station {station_id!r} is not valid; it was refused. "
            "Check that the station's key is the one registered at the centre.",
            detail=detail,
        )


class StationKeyMismatch(CentralError):
    reason = "station_key_mismatch"
    status = 409

    def __init__(self, station_id: str) -> None:
        super().__init__(
            f"考站 {station_id} 已用另一把密钥登记。若考站已重新安装，请用 --replace 重新登记。",
            f"Station {station_id!r} is registered with a different key. If the station was "
            "reinstalled, register it again with --replace.",
        )


class IdempotencyConflict(CentralError):
    reason = "idempotency_conflict"
    status = 409

    def __init__(self, key: str) -> None:
        super().__init__(
            "同一幂等键对应了不同的数据，请求被拒绝。",
            f"Idempotency-Key {key!r} was already used for a different request body.",
        )


class MalformedRequest(CentralError):
    reason = "malformed"
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(
            "请求格式不正确，未导入任何数据。",
            "The request is malformed; nothing was imported.",
            detail=detail,
        )


class DatabaseUnavailable(CentralError):
    reason = "database_unavailable"
    status = 503

    def __init__(self, where: str, detail: str = "") -> None:
        super().__init__(
            f"无法使用中心数据库 {where}。请检查数据库是否运行、地址与权限是否正确。",
            f"The central database {where} cannot be used. Check that it is running and that "
            "the address and permissions are right.",
            detail=detail,
        )


class SchemaTooNew(CentralError):
    reason = "schema_too_new"
    status = 503

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"数据库结构版本 {found} 比本程序支持的版本 {known} 新，请升级中心服务程序。",
            f"The database schema is version {found}, newer than this program knows ({known}). "
            "Upgrade the central service.",
        )


class NoPassphrase(CentralError):
    reason = "no_passphrase"

    def __init__(self) -> None:
        super().__init__(
            "需要中心密钥口令：请设置环境变量 EXAMKIOSK_CENTRAL_PASSPHRASE，或使用 "
            "--passphrase-file，或在终端中运行以便输入。",
            "The central key passphrase is needed: set EXAMKIOSK_CENTRAL_PASSPHRASE, pass "
            "--passphrase-file FILE, or run on a terminal to be asked for it.",
        )


class BundleNotApplied(CentralError):
    reason = "bundle_refused"
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(
            "数据包内容无法导入，已整体拒收，未导入任何记录。请在考点重新导出后再试。",
            "The bundle's content could not be imported; it was refused as a whole and "
            "nothing of it was kept. Export it again at the venue and retry.",
            detail=detail[:300],
        )

"""The centre's own settings in HOME/config.json, beside the database URL:

    {"time_zone": "Asia/Shanghai",
     "password_policy": {"max_age_days": 90, "max_failures": 5, "lockout_minutes": 15},
     "live_stream": {"max_seconds": 600, "heartbeat_seconds": 15, "check_seconds": 5}}

`time_zone` is the IANA name the console shows times in (default Asia/Shanghai: stations
record wall times with their own offset, people at the centre read their own clock);
`password_policy` takes the fields of `sync.credentials.PasswordPolicy`, range-checked the
same way as a venue's; `live_stream` bounds the console's server-sent events (a stream ends
after `max_seconds` and the browser reconnects, re-checking the session; a heartbeat every
`heartbeat_seconds` keeps balancers from timing it out; the session is re-checked every
`check_seconds`). Read when the service starts and by each command; a bad value is a
clear zh/en error, not a default in silence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.credentials import PasswordPolicy
from sync.errors import SyncError

DEFAULT_TIME_ZONE = "Asia/Shanghai"
CONFIG_FILE = "config.json"  # the same file as sync.central.home.CONFIG_FILE
MAX_CONFIG_BYTES = 64 * 1024


class SettingsError(SyncError):
    """HOME/config.json holds a value the centre cannot use."""


@dataclass(frozen=True)
class StreamLimits:
    max_seconds: int = 600
    heartbeat_seconds: int = 15
    check_seconds: int = 5

    BOUNDS = {"max_seconds": (2, 3600), "heartbeat_seconds": (1, 120), "check_seconds": (1, 60)}

    @classmethod
    def from_settings(cls, settings: dict[str, object] | None) -> StreamLimits:
        values: dict[str, int] = {}
        for name, (low, high) in cls.BOUNDS.items():
            if not settings or name not in settings:
                continue
            value = settings[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SettingsError(
                    f"live_stream.{name} 的值 {value!r} 不在允许范围 {low}–{high} 内。",
                    f"live_stream.{name}={value!r} is outside {low}–{high}.",
                )
            values[name] = value
        return cls(**values)


@dataclass(frozen=True)
class CentreSettings:
    time_zone: ZoneInfo
    policy: PasswordPolicy
    stream: StreamLimits


def load(home: Path) -> CentreSettings:
    """The settings of the centre at `home` (defaults where config.json says nothing)."""
    path = Path(home) / CONFIG_FILE
    raw: object = {}
    if path.exists():
        text = path.read_bytes()[: MAX_CONFIG_BYTES + 1]
        if len(text) > MAX_CONFIG_BYTES:
            raise SettingsError(f"{path} 过大。", f"{path} is too large.")
        try:
            raw = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SettingsError(
                f"{path} 不是有效的 JSON。", f"{path} is not valid JSON.", detail=str(exc)[:200]
            ) from exc
    if not isinstance(raw, dict):
        raise SettingsError(f"{path} 应为 JSON 对象。", f"{path} must hold a JSON object.")
    return CentreSettings(
        time_zone=time_zone(raw.get("time_zone", DEFAULT_TIME_ZONE)),
        policy=PasswordPolicy.from_settings(
            _mapping(raw.get("password_policy"), "password_policy")
        ),
        stream=StreamLimits.from_settings(_mapping(raw.get("live_stream"), "live_stream")),
    )


def time_zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not 0 < len(name) <= 64 or ".." in name:
        raise SettingsError(
            f"时区设置 {name!r} 无效，应为 IANA 时区名，如 Asia/Shanghai。",
            f"The time zone {name!r} is not valid; use an IANA name such as Asia/Shanghai.",
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            f"未知的时区 {name}，应为 IANA 时区名，如 Asia/Shanghai。",
            f"Unknown time zone {name}; use an IANA name such as Asia/Shanghai.",
        ) from exc


def _mapping(value: object, name: str) -> dict[str, object] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SettingsError(f"{name} 应为 JSON 对象。", f"{name} must be a JSON object.")
    return value

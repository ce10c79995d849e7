"""A station's devices: which card reader and which camera, kept in the encrypted store.

The configuration is the meta row `devices` of the station's store (so it is as protected as
the candidates' data, and changing it leaves an audit event naming who did it, with the old
and new values). Only a venue administrator or technician may change it (`devices.change`).
A `devices.json` left in the data directory by an older version is imported once, audited,
and renamed `devices.json.imported`. Its shape, and the stored value's, is one `devices`
section:

    {"devices": {
        "card_reader": {"kind": "pcsc", "reader": "ACS"},
        "camera": {"source": 0, "resolution": "1280x720"}}}

Card reader kinds and their options are those of `hardware.cards.factory.open_reader`
(`mrz`, a fixed passport key, is refused here: personal data has no place in a station's
configuration). A missing file or section means the defaults: any PC/SC reader, camera 0,
the camera's own resolution. On rehearsal and demo venues only, `EXAMKIOSK_CARD_READER` and
`EXAMKIOSK_CAMERA` override the stored choice (see `env_overrides`); a real sitting refuses
them, the `sim` reader and video-file cameras (core.simulation).

Every problem is a `DeviceConfigError` naming where and the bad key, in zh and en.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from examkiosk.core.authz import Person, audit, require
from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from hardware.cards.document import CardReader
from hardware.cards.serial_find import example_port

FILE_NAME = "devices.json"
KINDS = ("pcsc", "gat467", "sim")
OPTIONS: Mapping[str, tuple[str, ...]] = {
    "pcsc": ("reader", "csca", "exchange_timeout"),
    "gat467": ("port", "baud", "wlt_decoder", "wlt_code", "usb_ids"),
    "sim": (),
}
_NUMERIC = {"exchange_timeout": float, "baud": int, "wlt_code": int}
_MAX_SIDE = 7680  # 8K: anything larger is a typo
ENV_CARD_READER = "EXAMKIOSK_CARD_READER"
ENV_CAMERA = "EXAMKIOSK_CAMERA"


class DeviceConfigError(KioskError):
    """The device configuration is wrong; `key` is the dotted key at fault."""

    def __init__(self, where: str, key: str, problem_zh: str, problem_en: str) -> None:
        super().__init__(
            f"设备配置 {where} 中的“{key}”有误：{problem_zh}。"
            "请用“examkiosk devices set”重新设置，或改正该文件。",
            f"Device configuration {where}: “{key}” is wrong: {problem_en}. "
            "Run `examkiosk devices set` again, or correct the file.",
            detail=f"{where}: {key}",
        )
        self.key = key


@dataclass(frozen=True)
class CardReaderConfig:
    kind: str = "pcsc"
    options: Mapping[str, str] = field(default_factory=dict)  # all strings, as open_reader wants


@dataclass(frozen=True)
class CameraConfig:
    source: str = "0"  # a device index ("0") or a video file path / URL
    resolution: tuple[int, int] | None = None  # (width, height) the door works at

    @property
    def is_index(self) -> bool:
        return self.source.isdigit()


@dataclass(frozen=True)
class DeviceConfig:
    card_reader: CardReaderConfig = field(default_factory=CardReaderConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    overridden: tuple[str, ...] = ()  # environment variables that changed the file's choice

    def to_json(self) -> dict[str, Any]:
        """The `devices` section as written to the file."""
        camera: dict[str, Any] = {
            "source": int(self.camera.source) if self.camera.is_index else self.camera.source
        }
        if self.camera.resolution is not None:
            camera["resolution"] = "{}x{}".format(*self.camera.resolution)
        return {
            "card_reader": {"kind": self.card_reader.kind, **dict(self.card_reader.options)},
            "camera": camera,
        }


def config_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


# -- parsing ---------------------------------------------------------------------------------


def _card_reader(value: Any, where: str) -> CardReaderConfig:
    key = "devices.card_reader"
    if not isinstance(value, dict):
        raise DeviceConfigError(where, key, "应为一个对象", "expected an object")
    kind = value.get("kind", "pcsc")
    if kind not in KINDS:
        raise DeviceConfigError(
            where,
            f"{key}.kind",
            f"“{kind}”不是可用的读卡器类型（可用：{'、'.join(KINDS)}）",
            f"{kind!r} is not a reader kind (use one of {', '.join(KINDS)})",
        )
    options: dict[str, str] = {}
    for name, raw in value.items():
        if name == "kind":
            continue
        full = f"{key}.{name}"
        if name not in OPTIONS[kind]:
            allowed = ", ".join(OPTIONS[kind]) or "none"
            raise DeviceConfigError(
                where,
                full,
                f"{kind} 读卡器没有此选项（可用：{allowed}）",
                f"a {kind} reader has no such option (allowed: {allowed})",
            )
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise DeviceConfigError(where, full, "应为文字或数字", "expected text or a number")
        text = str(raw).strip()
        if name in _NUMERIC:
            try:
                number = _NUMERIC[name](text)
            except ValueError:
                number = -1
            if number <= 0:
                raise DeviceConfigError(where, full, "应为正数", "expected a positive number")
        options[name] = text
    if kind == "gat467" and not options.get("port"):
        raise DeviceConfigError(
            where,
            f"{key}.port",
            f"身份证阅读器（gat467）必须指定串口，例如 {example_port(sys.platform)}，"
            "或 auto（按USB编号自动查找）",
            f"a resident-ID reader (gat467) needs its serial port, e.g. "
            f"{example_port(sys.platform)}, or auto (found by its USB ids)",
        )
    return CardReaderConfig(kind, options)


def parse_resolution(
    value: Any, where: str, key: str = "devices.camera.resolution"
) -> tuple[int, int]:
    """ "1280x720" (or [1280, 720]) to (width, height); DeviceConfigError otherwise."""
    if isinstance(value, list) and len(value) == 2:
        value = f"{value[0]}x{value[1]}"
    match = re.fullmatch(
        r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", value if isinstance(value, str) else ""
    )
    if match is None:
        raise DeviceConfigError(
            where, key, "应为“宽x高”，例如 1280x720", "expected WIDTHxHEIGHT, e.g. 1280x720"
        )
    width, height = int(match.group(1)), int(match.group(2))
    if not (16 <= width <= _MAX_SIDE and 16 <= height <= _MAX_SIDE):
        raise DeviceConfigError(
            where,
            key,
            f"宽和高应在 16 到 {_MAX_SIDE} 之间",
            f"width and height must be between 16 and {_MAX_SIDE}",
        )
    return width, height


def parse_camera_source(value: Any, where: str, key: str = "devices.camera.source") -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise DeviceConfigError(
        where,
        key,
        "应为摄像头编号（如 0）或视频文件路径 / 网址",
        "expected a camera index (e.g. 0) or a video file path / URL",
    )


def _camera(value: Any, where: str) -> CameraConfig:
    key = "devices.camera"
    if not isinstance(value, dict):
        raise DeviceConfigError(where, key, "应为一个对象", "expected an object")
    for name in value:
        if name not in ("source", "resolution"):
            raise DeviceConfigError(
                where,
                f"{key}.{name}",
                "摄像头没有此选项（可用：source, resolution）",
                "a camera has no such option (allowed: source, resolution)",
            )
    source = parse_camera_source(value.get("source", 0), where)
    resolution = value.get("resolution")
    return CameraConfig(source, None if resolution is None else parse_resolution(resolution, where))


def parse_devices(document: Any, where: str = FILE_NAME) -> DeviceConfig:
    """The configuration in a decoded devices.json; defaults for what is absent."""
    if not isinstance(document, dict):
        raise DeviceConfigError(where, "(file)", "文件内容应为 JSON 对象", "expected a JSON object")
    section = document.get("devices")
    if section is None:
        return DeviceConfig()
    if not isinstance(section, dict):
        raise DeviceConfigError(where, "devices", "应为一个对象", "expected an object")
    for name in section:
        if name not in ("card_reader", "camera"):
            raise DeviceConfigError(
                where,
                f"devices.{name}",
                "未知的设备（可用：card_reader, camera）",
                "unknown device (allowed: card_reader, camera)",
            )
    reader = section.get("card_reader")
    camera = section.get("camera")
    return DeviceConfig(
        CardReaderConfig() if reader is None else _card_reader(reader, where),
        CameraConfig() if camera is None else _camera(camera, where),
    )


def _read_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise DeviceConfigError(
            str(path), "(file)", f"无法读取文件（{exc}）", f"the file cannot be read ({exc})"
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeviceConfigError(
            str(path),
            "(file)",
            f"不是有效的 JSON（第 {exc.lineno} 行）",
            f"not valid JSON (line {exc.lineno})",
        ) from exc


# -- environment overrides (development) -----------------------------------------------------


def env_overrides(config: DeviceConfig, env: Mapping[str, str]) -> DeviceConfig:
    """Apply `EXAMKIOSK_CAMERA` (index, file or URL) and `EXAMKIOSK_CARD_READER`.

    `EXAMKIOSK_CARD_READER` is a kind (`pcsc`, `sim`), `KIND:ARG` (`pcsc:ACS` = reader name,
    `gat467:/dev/ttyUSB0` or `gat467:COM3` = port), or, as before this file existed, a PC/SC reader name.
    """
    used: list[str] = []
    camera, reader = config.camera, config.card_reader
    if env.get(ENV_CAMERA, "").strip():
        camera = replace(
            camera, source=parse_camera_source(env[ENV_CAMERA], ENV_CAMERA, ENV_CAMERA)
        )
        used.append(ENV_CAMERA)
    value = env.get(ENV_CARD_READER, "").strip()
    if value:
        kind, sep, arg = value.partition(":")
        if kind in KINDS:
            option = {"pcsc": "reader", "gat467": "port"}.get(kind)
            options = {option: arg.strip()} if (sep and option and arg.strip()) else {}
            reader = _card_reader({"kind": kind, **options}, ENV_CARD_READER)
        else:
            reader = CardReaderConfig("pcsc", {"reader": value})
        used.append(ENV_CARD_READER)
    return DeviceConfig(reader, camera, tuple(used))


# -- public entry points ---------------------------------------------------------------------

META_KEY = "devices"
STORE_WHERE = "station store (devices)"
IMPORTED_SUFFIX = ".imported"


def _data_dir(station: Station) -> Path:
    return Path(station.store.path).parent


def import_legacy_file(station: Station) -> bool:
    """Move a devices.json left by an older version into the store, once, audited, and
    rename it devices.json.imported. The store wins if it already holds a configuration
    (the file is then only renamed). True if a file was found."""
    path = config_path(_data_dir(station))
    if not path.exists():
        return False
    config = parse_devices(_read_file(path), str(path))
    with station.store.transaction() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
        details: dict[str, Any] = {"file": FILE_NAME, "new": config.to_json()}
        if row is None:
            station.store.set_meta(conn, META_KEY, json.dumps({"devices": config.to_json()}))
        else:
            details["kept"] = json.loads(row[0]).get("devices", {})
        audit(station, conn, None, "devices_imported", details)
    # After the commit: a crash before the rename imports nothing twice (the store wins).
    os.replace(path, path.with_name(FILE_NAME + IMPORTED_SUFFIX))
    return True


def stored_devices(station: Station) -> DeviceConfig:
    """The configuration kept in the station's encrypted store (defaults if none)."""
    import_legacy_file(station)
    text = station.store.get_meta(META_KEY)
    if text is None:
        return DeviceConfig()
    return parse_devices(json.loads(text), STORE_WHERE)


def simulated_parts(config: DeviceConfig) -> list[str]:
    """What in `config` is a simulated device: the `sim` reader, a video-file camera."""
    parts = []
    if config.card_reader.kind == "sim":
        parts.append("card reader sim")
    source = config.camera.source
    if not config.camera.is_index and "://" not in source:
        parts.append(f"camera file:{Path(source).name}")
    return parts


def load_devices(station: Station, env: Mapping[str, str] | None = None) -> DeviceConfig:
    """The station's device configuration: the store (or defaults), then the environment.

    Environment overrides and simulated devices are for rehearsal and demo venues only: on
    a real sitting they are refused (SimulationRefused, audited). Pass `env={}` to see the
    stored configuration alone. Raises DeviceConfigError for a wrong value.
    """
    from examkiosk.core.simulation import require_simulation

    config = stored_devices(station)
    env = os.environ if env is None else env
    if any(env.get(name, "").strip() for name in (ENV_CAMERA, ENV_CARD_READER)):
        used = [n for n in (ENV_CAMERA, ENV_CARD_READER) if env.get(n, "").strip()]
        require_simulation(station, None, "environment " + ", ".join(used))
        config = env_overrides(config, env)
    for part in simulated_parts(config):
        require_simulation(station, None, part)
    return config


def save_devices(station: Station, person: Person | None, config: DeviceConfig) -> DeviceConfig:
    """Store `config` as the station's devices: a venue administrator or technician only
    (NotAllowed otherwise), simulated devices only on rehearsal/demo venues; audited as
    `audit.devices.change` with the old and the new values. Returns the old configuration."""
    from examkiosk.core.simulation import require_simulation

    require(person, "devices.change")
    parse_devices({"devices": config.to_json()}, STORE_WHERE)  # never store what would not load
    for part in simulated_parts(config):
        require_simulation(station, person, part)
    old = stored_devices(station)
    with station.store.transaction() as conn:
        station.store.set_meta(conn, META_KEY, json.dumps({"devices": config.to_json()}))
        audit(
            station,
            conn,
            person,
            "devices.change",
            {"old": old.to_json(), "new": config.to_json()},
        )
    return old


def card_reader_config(
    kind: str, options: Mapping[str, str], where: str = "--card-reader"
) -> CardReaderConfig:
    """Validate a reader chosen on the command line (empty option values are dropped)."""
    return _card_reader({"kind": kind, **{k: v for k, v in options.items() if v}}, where)


def open_card_reader(config: CardReaderConfig) -> CardReader:
    """The configured `CardReader` (hardware.cards.factory); DeviceConfigError if unusable."""
    from hardware.cards.factory import open_reader

    try:
        return open_reader(config.kind, config.options)
    except (ValueError, OSError) as exc:
        raise DeviceConfigError(
            FILE_NAME,
            f"devices.card_reader ({config.kind})",
            f"无法按此配置打开读卡器（{exc}）",
            f"the reader cannot be opened as configured ({exc})",
        ) from exc

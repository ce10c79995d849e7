"""The station's own log: JSON lines, rotated by size, without personal data.

Written by `install_file_log(data_dir)` (every command that opens a station, and the window)
into DATA_DIR/logs/examkiosk.jsonl, rotated at `MAX_BYTES` with `BACKUPS` older files kept,
so the log never takes more than about (BACKUPS + 1) × MAX_BYTES of disk. Each line is one
record: time (ISO 8601, UTC), level, logger, message, process id, and the exception type
and masked text when there is one.

Masking (before anything reaches the disk): resident ID numbers (15 or 18 characters) keep
their first 4 and last 2 characters; values given as `name=…`, `姓名…`, `id_number=…` and
`candidate_name`/`id_number` passed as `extra=` are replaced by their first character and asterisks.
Code must never log a candidate's name except through those keys.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

LOG_DIR = "logs"
LOG_FILE = "examkiosk.jsonl"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
MAX_LINE = 16 * 1024  # longer lines are cut when written and skipped when read
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
# `extra=` keys masked when present (`name` is the logger's own field, so not here).
PERSONAL_KEYS = ("candidate_name", "id_number", "姓名", "证件号码")

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{4})(\d{9}|\d{12})(\d[\dXx])(?![0-9A-Za-z])")
_KEYED = re.compile(
    r"((?:candidate_name|id_number|name|姓名|证件号码)\s*[=:：]\s*['\"]?)([^\s,;'\"，。)]+)"
)


def _star(value: str) -> str:
    return value[:1] + "*" * max(2, len(value) - 1) if value else value


def mask(text: str) -> str:
    """The text with ID numbers and keyed names masked (see the module docstring)."""
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    # A value the ID-number rule has masked already keeps its region and last digits.
    return _KEYED.sub(
        lambda m: m.group(0) if "*" in m.group(2) else m.group(1) + _star(m.group(2)), text
    )


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
            "pid": record.process,
        }
        for key in PERSONAL_KEYS:
            if key in record.__dict__:
                document[key] = _star(str(record.__dict__[key]))
        if record.exc_info and record.exc_info[0] is not None:
            document["exc_type"] = record.exc_info[0].__name__
            document["exc"] = mask(self.formatException(record.exc_info))[-4000:]
        line = json.dumps(document, ensure_ascii=False)
        return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1]


def log_dir(data_dir: Path) -> Path:
    return Path(data_dir) / LOG_DIR


_installed: dict[str, logging.Handler] = {}


class RotatingLog(logging.handlers.RotatingFileHandler):
    """The rotating handler, for a file two processes may write (the window and a
    technician's command). Windows cannot rename a file another process holds open: the
    rotation then fails with PermissionError, and the standard handler would drop that record
    and every later one. Here the record goes on into the current file, and rotation is tried
    again with the next record (Linux renames open files, so this never happens there)."""

    def doRollover(self) -> None:
        try:
            super().doRollover()
        except PermissionError:
            if self.stream is None:
                self.stream = self._open()


def install_file_log(
    data_dir: Path,
    level: int = logging.INFO,
    *,
    max_bytes: int = MAX_BYTES,
    backups: int = BACKUPS,
) -> Path | None:
    """Send this process's log records to the station's rotating JSON log (once per
    directory). Returns the file, or None when the folder cannot be written (the program
    then runs without its file log rather than not at all)."""
    folder = log_dir(data_dir)
    path = folder / LOG_FILE
    if str(path) in _installed:
        return path
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = RotatingLog(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        os.chmod(path, 0o600)
    except OSError:
        return None
    handler.setFormatter(JsonFormatter())
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
        # The console keeps its own, quieter level (EXAMKIOSK_LOG, WARNING by default).
        for other in root.handlers:
            if other is not handler and other.level == logging.NOTSET:
                other.setLevel(os.environ.get("EXAMKIOSK_LOG", "WARNING"))
    _installed[str(path)] = handler
    return path


def remove_file_log(data_dir: Path) -> None:
    handler = _installed.pop(str(log_dir(data_dir) / LOG_FILE), None)
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()


@dataclass(frozen=True)
class LogRecord:
    time: datetime
    level: str
    logger: str
    message: str
    raw: dict[str, Any]


def _files(data_dir: Path) -> list[Path]:
    """Oldest first: examkiosk.jsonl.5 … .1, then the current file."""
    folder = log_dir(data_dir)
    rotated = [folder / f"{LOG_FILE}.{n}" for n in range(BACKUPS, 0, -1)]
    return [p for p in [*rotated, folder / LOG_FILE] if p.is_file()]


def read_logs(
    data_dir: Path, *, since: datetime | None = None, min_level: str = "DEBUG"
) -> Iterator[LogRecord]:
    """The records at `min_level` or above since `since`, oldest first; unreadable lines
    (a line cut by a crash, a foreign line) are skipped."""
    floor = LEVELS.get(min_level.upper(), 0)
    for path in _files(data_dir):
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if len(line) > MAX_LINE + 1:
                    continue
                try:
                    raw = json.loads(line)
                    when = datetime.fromisoformat(raw["time"])
                    level = str(raw["level"])
                except (ValueError, KeyError, TypeError):
                    continue
                if LEVELS.get(level, 0) < floor or (since is not None and when < since):
                    continue
                yield LogRecord(
                    when, level, str(raw.get("logger", "")), str(raw.get("message", "")), raw
                )


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """'2h', '30m', '7d' back from now, or an ISO 8601 time; ValueError otherwise."""
    now = now or datetime.now(UTC)
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", value)
    if match:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now - timedelta(**{unit: int(match.group(1))})
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.astimezone()


@dataclass(frozen=True)
class LogSummary:
    warnings: int
    errors: int
    top: tuple[tuple[str, int], ...]  # most frequent messages (first 80 chars) and counts


def summarise(data_dir: Path, since: datetime | None) -> LogSummary:
    counts: dict[str, int] = {}
    warnings = errors = 0
    for record in read_logs(data_dir, since=since, min_level="WARNING"):
        if LEVELS.get(record.level, 0) >= LEVELS["ERROR"]:
            errors += 1
        else:
            warnings += 1
        key = f"{record.level} {record.logger}: {record.message[:80]}"
        counts[key] = counts.get(key, 0) + 1
    top = tuple(sorted(counts.items(), key=lambda kv: -kv[1])[:5])
    return LogSummary(warnings, errors, top)

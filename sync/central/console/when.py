"""Times as people at the centre read them: the centre's local clock and how long ago,
"14:05:12（3 分钟前）", with the date when it is not today. Stations record wall times with
their own offset and the database keeps UTC; neither is what an operator should have to
convert in their head. Exports keep ISO 8601 with the offset (a machine reads those).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from markupsafe import Markup, escape


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text[:64])
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse(stamp: str | datetime | None) -> datetime | None:
    """An aware datetime from ISO text (a stamp without offset is UTC), or None."""
    if stamp is None or stamp == "":
        return None
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return _parse_text(str(stamp))


def ago(moment: datetime, now: datetime, lang: str) -> str:
    """ "3 分钟前" / "3 minutes ago"; a moment ahead of the clock says so ("3 分钟后")."""
    seconds = (now - moment).total_seconds()
    span = abs(seconds)
    if span < 45:
        return "just now" if lang == "en" else "刚刚"
    if span >= 36 * 3600:
        unit, zh, en = 86400, "天", "day"
    elif span >= 90 * 60:
        unit, zh, en = 3600, "小时", "hour"
    else:
        unit, zh, en = 60, "分钟", "minute"
    n = max(1, round(span / unit))
    if lang == "en":
        text = f"{n} {en}{'' if n == 1 else 's'}"
        return f"{text} ago" if seconds >= 0 else f"in {text}"
    return f"{n} {zh}{'前' if seconds >= 0 else '后'}"


def local_text(stamp: str | datetime | None, zone: tzinfo, lang: str, now: datetime) -> str:
    """ "14:05:12（3 分钟前）" (today in `zone`), "2026-06-01 08:05:00（3 天前）" (another
    day), "—" for no time; text that is not a time is shown as it is."""
    moment = parse(stamp)
    if moment is None:
        return "—" if not stamp else str(stamp)
    here = moment.astimezone(zone)
    clock = f"{here.hour:02d}:{here.minute:02d}:{here.second:02d}"
    if here.date() != now.astimezone(zone).date():
        clock = f"{here.year:04d}-{here.month:02d}-{here.day:02d} {clock}"
    relative = ago(moment, now, lang)
    return f"{clock} ({relative})" if lang == "en" else f"{clock}（{relative}）"


def html(stamp: str | datetime | None, zone: tzinfo, lang: str, now: datetime) -> Markup:
    """`local_text` in a <time> element whose datetime (and tooltip) is the exact ISO time in
    the centre's zone; console.js keeps the "ago" part current."""
    moment = parse(stamp)
    text = local_text(stamp, zone, lang, now)
    if moment is None:
        return Markup(escape(text))
    exact = escape(moment.astimezone(zone).isoformat(timespec="seconds"))
    return Markup(f'<time datetime="{exact}" title="{exact}">{escape(text)}</time>')

"""Times in words in the centre's zone, as the console shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sync.central.console.when import html, local_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 6, 8, 12, tzinfo=UTC)  # 14:08:12 in Shanghai


def test_today_is_the_clock_time_and_how_long_ago() -> None:
    assert local_text("2026-06-01T06:05:12+00:00", SHANGHAI, "zh", NOW) == "14:05:12（3 分钟前）"
    assert local_text("2026-06-01T14:05:12+08:00", SHANGHAI, "en", NOW) == (
        "14:05:12 (3 minutes ago)"
    )
    assert local_text("2026-06-01T06:08:00+00:00", SHANGHAI, "zh", NOW) == "14:08:00（刚刚）"
    assert local_text("2026-06-01T02:08:12+00:00", SHANGHAI, "en", NOW).endswith("(4 hours ago)")


def test_another_day_has_its_date_and_a_clock_ahead_says_so() -> None:
    assert local_text("2026-05-29T08:00:00+08:00", SHANGHAI, "zh", NOW) == (
        "2026-05-29 08:00:00（3 天前）"
    )
    assert local_text("2026-06-01T06:10:12+00:00", SHANGHAI, "en", NOW) == (
        "14:10:12 (in 2 minutes)"
    )
    # A stamp without offset is UTC (the database's); the date turns over in Shanghai.
    assert local_text("2026-05-31T17:00:00", SHANGHAI, "zh", NOW).startswith("01:00:00")


def test_no_time_and_not_a_time() -> None:
    assert local_text(None, SHANGHAI, "zh", NOW) == "—"
    assert local_text("", SHANGHAI, "zh", NOW) == "—"
    assert local_text("soon", SHANGHAI, "zh", NOW) == "soon"
    assert str(html("<b>", SHANGHAI, "zh", NOW)) == "&lt;b&gt;"  # escaped, never markup
    shown = str(html("2026-06-01T06:05:12Z", SHANGHAI, "zh", NOW))
    assert shown == (
        '<time datetime="2026-06-01T14:05:12+08:00" title="2026-06-01T14:05:12+08:00">'
        "14:05:12（3 分钟前）</time>"
    )

"""Sync status in words, as the admin screen says it: never a sequence number."""

from __future__ import annotations

from datetime import datetime, timedelta

from examkiosk.core.sync_words import OK, PROBLEM, WAITING, in_words
from sync.worker import SyncStatus

NOW = datetime(2026, 11, 25, 14, 8, tzinfo=datetime.now().astimezone().tzinfo)


def at(delta: timedelta) -> str:
    return (NOW - delta).isoformat()


def test_everything_delivered_names_the_last_time() -> None:
    words = in_words(SyncStatus(last_success=at(timedelta(minutes=3))), NOW)
    assert words.zh == "全部结果已送达中心（最后一次 14:05）。"
    assert words.en == "Everything has reached the centre (last time 14:05)."
    assert words.tone == OK
    yesterday = in_words(SyncStatus(last_success=at(timedelta(days=1))), NOW)
    assert "11月24日 14:08" in yesterday.zh and "24 Nov 14:08" in yesterday.en


def test_records_waiting_say_how_many_and_since_when() -> None:
    status = SyncStatus(last_success=at(timedelta(minutes=3)), backlog_events=12)
    words = in_words(status, NOW)
    assert words.zh == "还有 12 条记录未送达，最后一次联系 3 分钟前。"
    assert words.en == "12 records not yet delivered; last contact 3 minutes ago."
    assert words.tone == WAITING
    both = SyncStatus(last_success=at(timedelta(hours=2)), backlog_events=1, backlog_snapshots=3)
    words = in_words(both, NOW)
    assert words.zh == "还有 1 条记录、3 张抓拍未送达，最后一次联系 2 小时前。"
    assert words.en.startswith("1 record and 3 snapshots not yet delivered")
    assert words.tone == PROBLEM  # waiting for hours: someone should look
    assert "seq" not in words.zh + words.en


def test_never_in_contact() -> None:
    fresh = in_words(SyncStatus(backlog_events=40), NOW)
    assert fresh.zh == "从未联系过中心；40 条记录未送达。" and fresh.tone == WAITING
    tried = in_words(SyncStatus(last_attempt=at(timedelta(seconds=20))), NOW)
    assert tried.zh == "从未联系过中心（最后一次尝试 刚刚）。" and tried.tone == PROBLEM
    assert in_words(SyncStatus(), NOW).en == "Never in contact with the centre."


def test_no_address_and_a_diverged_history() -> None:
    unset = in_words(SyncStatus(backlog_events=5), NOW, configured=False)
    assert unset.zh == "尚未设置考试中心地址；5 条记录在本机等待送达。"
    diverged = in_words(SyncStatus(last_success=at(timedelta(minutes=1)), diverged=True), NOW)
    assert diverged.tone == PROBLEM and "不一致" in diverged.zh

"""The console in headless chromium: sign in, read the pages, watch a live update when a
station pushes, download an export. Few tests: each starts a browser."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from sync.central.home import CentralHome
from sync.central.server import BackgroundServer
from sync.central.staff import StaffAccounts
from tests.sync.central.console_data import PASSWORD, SITTING, exam_day, face


def requests_to(caplog: pytest.LogCaptureFixture, path: str) -> int:
    """How many GET requests the centre answered at `path` (its log of every call)."""
    return sum(1 for r in caplog.records if r.getMessage().startswith(f"GET {path} -> 200"))


def sign_in(browser: Any, url: str, username: str, password: str = PASSWORD) -> None:
    browser.get(url + "/console/")
    assert browser.current_url.endswith("/console/login")  # nothing without signing in
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "signin").click()
    WebDriverWait(browser, 20).until(lambda b: b.current_url.endswith("/console/"))


def test_sign_in_read_pages_and_switch_to_english(
    browser: Any, home: CentralHome, server: BackgroundServer
) -> None:
    day = exam_day(home, server.url)
    StaffAccounts(home.store).add("op1", "操作员", "operator", PASSWORD)
    browser.get(server.url + "/console/login")
    browser.find_element(By.ID, "username").send_keys("op1")
    browser.find_element(By.ID, "password").send_keys("not the password")
    browser.find_element(By.ID, "signin").click()
    WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda b: "用户名或密码不正确" in b.find_element(By.ID, "error").text
    )
    sign_in(browser, server.url, "op1")
    assert "ST-B1" in browser.find_element(By.ID, "stations").text
    browser.get(server.url + "/console/hired-guns?sitting=" + SITTING)
    assert browser.find_element(By.ID, "pair-count").text == "1"
    images = browser.find_elements(By.CSS_SELECTOR, "#pairs img.photo")
    assert len(images) == 2
    # Both photos really loaded (signed-in cookie sent with the image requests).
    assert all(browser.execute_script("return arguments[0].naturalWidth", i) == 64 for i in images)
    browser.get(server.url + "/console/flagged")
    browser.find_element(By.CSS_SELECTOR, "button.review").click()
    WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda b: "已复核" in b.find_element(By.ID, "flagged").text
    )
    browser.find_element(By.ID, "lang-en").click()
    WebDriverWait(browser, 10).until(lambda b: "Flagged check-ins" in b.page_source)
    assert "reviewed" in browser.find_element(By.ID, "flagged").text
    browser.get(server.url + f"/console/candidate?id={day.hired_gun[0]}")
    assert "checkin.admitted" in browser.find_element(By.ID, "timeline").text
    browser.find_element(By.ID, "logout").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/console/login"))
    browser.get(server.url + "/console/flagged")
    assert browser.current_url.endswith("/console/login")


def test_live_update_when_a_station_pushes_and_export_download(
    browser: Any,
    home: CentralHome,
    server: BackgroundServer,
    downloads: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="sync.central.http")
    day = exam_day(home, server.url)
    StaffAccounts(home.store).add("viewer1", "查看员", "viewer", PASSWORD)
    sign_in(browser, server.url, "viewer1")
    admitted = browser.find_element(By.ID, "admitted-total")
    events = browser.find_element(By.ID, "events-total")
    before_admitted, before_events = int(admitted.text), int(events.text)
    station = day.stations[2]
    pushed_from = len(station.events)
    station.checkin("C007", face(np.random.default_rng(77)))
    station.push(server.url, after=pushed_from)
    # No reload: the server-sent event stream brings the new counts and the page's script
    # updates them in place; it never had to fall back to polling.
    WebDriverWait(browser, 15).until(lambda _: int(admitted.text) == before_admitted + 1)
    assert int(events.text) == before_events + 2
    cell = browser.find_element(
        By.CSS_SELECTOR, f'[data-live="station:{station.station_id}:events"]'
    )
    assert int(cell.text) == len(station.events)
    status = browser.find_element(By.ID, "live-status")
    assert status.get_attribute("data-mode") == "stream" and "实时" in status.text
    assert requests_to(caplog, "/console/api/live") == 0
    assert requests_to(caplog, "/console/api/events") == 1
    browser.get(server.url + "/console/progress")
    browser.find_element(By.ID, "export-progress").click()
    deadline = time.monotonic() + 20
    target = downloads / "checkin-progress.csv"
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert target.exists(), list(downloads.iterdir())
    lines = target.read_text("utf-8-sig").splitlines()
    assert lines[0] == "sitting_id,venue_id,expected,admitted,refused,no_shows"
    assert f"{SITTING},V-B,4,3,0,1" in lines  # C007 now admitted at V-B
    log = StaffAccounts(home.store).audit_log()
    assert any(who == "viewer1" and action == "export.progress" for _, who, action, *_ in log)


def test_behind_a_buffering_balancer_the_page_falls_back_to_polling(
    browser: Any, home: CentralHome, server: BackgroundServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sync.central.http")
    from tests.sync.central.faultproxy import FaultProxy

    day = exam_day(home, server.url)
    StaffAccounts(home.store).add("viewer1", "查看员", "viewer", PASSWORD)
    # A proxy that hands an answer on only once it is complete, as a balancer with
    # response buffering does: the event stream never gets through.
    with FaultProxy(server.port) as proxy:
        proxy.chaos = False
        sign_in(browser, proxy.url, "viewer1")
        status = browser.find_element(By.ID, "live-status")
        WebDriverWait(browser, 20).until(lambda _: status.get_attribute("data-mode") == "poll")
        admitted = browser.find_element(By.ID, "admitted-total")
        before = int(admitted.text)
        station = day.stations[1]
        pushed_from = len(station.events)
        station.checkin("C008", face(np.random.default_rng(88)))
        station.push(server.url, after=pushed_from)
        WebDriverWait(browser, 15).until(lambda _: int(admitted.text) == before + 1)
        assert "轮询" in status.text and requests_to(caplog, "/console/api/live") >= 1
        assert requests_to(caplog, "/console/api/events") == 1  # opened, never got through


def test_a_password_set_by_the_administrator_is_changed_at_first_sign_in(
    browser: Any, home: CentralHome, server: BackgroundServer
) -> None:
    accounts = StaffAccounts(home.store)
    accounts.add("op2", "操作员", "operator", PASSWORD)
    accounts.set_password("op2", "Rb4!xWq8#Lm2", by="admin")
    browser.get(server.url + "/console/login")
    browser.find_element(By.ID, "username").send_keys("op2")
    browser.find_element(By.ID, "password").send_keys("Rb4!xWq8#Lm2" + Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda b: b.current_url.endswith("/console/password"))
    assert "请先设置新密码" in browser.find_element(By.ID, "expired").text
    browser.get(server.url + "/console/flagged")  # nothing else until it is changed
    assert browser.current_url.endswith("/console/password")
    browser.find_element(By.ID, "old").send_keys("Rb4!xWq8#Lm2")
    browser.find_element(By.ID, "new").send_keys("Tq6%pZr3!Hv5")
    browser.find_element(By.ID, "confirm").send_keys("Tq6%pZr3!Hv5" + Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda b: b.current_url.endswith("done=1"))
    assert "密码已修改" in browser.find_element(By.ID, "done").text
    browser.get(server.url + "/console/flagged")
    assert browser.current_url.endswith("/console/flagged")

"""The console in headless chromium: sign in, read the pages, watch a live update when a
station pushes, download an export. Few tests: each starts a browser."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sync.central.home import CentralHome
from sync.central.server import BackgroundServer
from sync.central.staff import StaffAccounts
from tests.sync.central.console_data import PASSWORD, SITTING, exam_day, face


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
    browser: Any, home: CentralHome, server: BackgroundServer, downloads: Path
) -> None:
    day = exam_day(home, server.url)
    StaffAccounts(home.store).add("viewer1", "查看员", "viewer", PASSWORD)
    sign_in(browser, server.url, "viewer1")
    admitted = browser.find_element(By.ID, "admitted-total")
    events = browser.find_element(By.ID, "events-total")
    before_admitted, before_events = int(admitted.text), int(events.text)
    station = day.stations[2]
    pushed_from = len(station.events)
    import numpy as np

    station.checkin("C007", face(np.random.default_rng(77)))
    station.push(server.url, after=pushed_from)
    # No reload: the page's script polls and updates the counts in place.
    WebDriverWait(browser, 15).until(lambda _: int(admitted.text) == before_admitted + 1)
    assert int(events.text) == before_events + 2
    cell = browser.find_element(
        By.CSS_SELECTOR, f'[data-live="station:{station.station_id}:events"]'
    )
    assert int(cell.text) == len(station.events)
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

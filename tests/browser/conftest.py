"""A real browser for the console: Debian's chromium, headless, driven by Selenium through
Debian's chromedriver (`make system-deps` installs both). Missing either is a failure with
the reason, not a skip."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.central.home import CentralHome
from sync.central.server import BackgroundServer

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


PASSPHRASE = "browser test passphrase"


@pytest.fixture
def home(tmp_path: Path) -> Iterator[CentralHome]:
    central = CentralHome(tmp_path / "central")
    central.init(PASSPHRASE)
    yield central
    central.close()


@pytest.fixture
def server(home: CentralHome) -> Iterator[BackgroundServer]:
    # The centre's key signs its answers to stations (docs/sync.md).
    with BackgroundServer(home, home.unlock(PASSPHRASE)) as srv:
        yield srv


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


@pytest.fixture
def browser(downloads: Path) -> Iterator[Any]:
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists() and shutil.which(Path(binary).name) is None:
            pytest.fail(
                f"{binary} is missing: run `make system-deps` (apt chromium chromium-driver)"
            )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1366,768", "--lang=zh-CN"):  # fmt: skip
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(5)  # a click that submits a form: wait for the next page's elements
    try:
        yield driver
    finally:
        driver.quit()

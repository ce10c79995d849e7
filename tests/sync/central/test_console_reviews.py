"""The console over HTTP on 127.0.0.1: changing one's password (and an expired one letting
the person reach nothing else), the administrator setting a password, decisions on hired-gun
pairs that survive a new search, times in the centre's zone and in words."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import requests
from click.testing import CliRunner

from sync.central.centre_settings import SettingsError
from sync.central.cli import cli
from sync.central.server import BackgroundServer

from .conftest import Central
from .console_data import PASSWORD, SITTING, exam_day, near
from .test_console import audited, csrf_of, sign_in, staffed
from .test_console_live import configure

NEW_PASSWORD = "Rb4!xWq8#Lm2"
PAGES = ("/console/", "/console/flagged", "/console/hired-guns", "/console/users",
         "/console/candidate?id=C001", "/console/export/flagged.csv")  # fmt: skip


def sign_in_expired(url: str, username: str, password: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{url}/console/login", timeout=10)
    answer = browser.post(
        f"{url}/console/login",
        data={"csrf": csrf_of(page.text), "username": username, "password": password},
        timeout=30,
    )
    assert answer.url.endswith("/console/password"), answer.url
    assert 'id="expired"' in answer.text and "修改密码" in answer.text
    return browser


def test_an_expired_password_opens_only_the_change_password_page(
    central: Central, server: BackgroundServer
) -> None:
    exam_day(central.home, server.url)
    accounts = staffed(central)
    with central.home.store.db.transaction() as tx:  # 80 days pass for op1: a warning
        soon = (datetime.now(UTC) - timedelta(days=80)).isoformat(timespec="seconds")
        tx.run("UPDATE staff SET changed_at = ? WHERE username = 'op1'", (soon,))
    page = sign_in(server.url, "op1").get(server.url + "/console/flagged", timeout=10).text
    assert re.search(
        r'id="expires-soon">您的密码将于 <time [^>]+>[^<]+（1\d 天后）</time> 过期', page
    )
    with central.home.store.db.transaction() as tx:  # 91 days pass for admin1
        tx.run("UPDATE staff SET changed_at = '2020-01-01T00:00:00+00:00' WHERE username = ?",
               ("admin1",))  # fmt: skip
    url = server.url
    admin = sign_in_expired(url, "admin1", PASSWORD)
    for path in PAGES:
        answer = admin.get(url + path, timeout=10, allow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/password"
        assert "C001" not in answer.text
    assert admin.get(url + "/console/api/live", timeout=10).status_code == 401
    page = admin.get(url + "/console/password", timeout=10).text
    assert "/console/users" not in page  # no way around it in the header either
    form = {"old": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    forged = admin.post(url + "/console/password", data={**form, "csrf": "x"}, timeout=30)
    assert forged.status_code == 403
    mismatch = admin.post(
        url + "/console/password",
        data={**form, "confirm": NEW_PASSWORD + "x", "csrf": csrf_of(page)},
        timeout=30,
    )
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in mismatch.text
    weak = admin.post(
        url + "/console/password",
        data={**form, "new": "password1", "confirm": "password1", "csrf": csrf_of(page)},
        timeout=30,
    )
    assert weak.status_code == 400 and 'class="error"' in weak.text
    other = sign_in_expired(url, "admin1", PASSWORD)  # signed in elsewhere too
    done = admin.post(url + "/console/password", data={**form, "csrf": csrf_of(page)}, timeout=30)
    assert done.url.endswith("/console/password?done=1") and 'id="done"' in done.text
    assert admin.get(url + "/console/users", timeout=10).status_code == 200
    ended = other.get(url + "/console/password", timeout=10, allow_redirects=False)
    assert ended.headers["location"] == "/console/login"  # the other session ended
    sign_in(url, "admin1", NEW_PASSWORD)
    log = audited(accounts, "admin1")
    assert ("password.changed", "") in log
    assert sum(1 for a, _ in log if a == "signin.ok") == 3


def test_the_administrator_sets_a_password_the_person_must_change(
    central: Central, server: BackgroundServer
) -> None:
    accounts = staffed(central)
    url = server.url
    viewer = sign_in(url, "viewer1")
    admin = sign_in(url, "admin1")
    users = admin.get(url + "/console/users", timeout=10).text
    refused = admin.post(
        url + "/console/users",
        data={"csrf": csrf_of(users), "action": "passwd", "username": "viewer1",
              "password": "viewer1pass"},
        timeout=30,
    )  # fmt: skip
    assert refused.status_code == 400 and 'class="error"' in refused.text
    forged = admin.post(
        url + "/console/users",
        data={"csrf": "x", "action": "passwd", "username": "viewer1", "password": NEW_PASSWORD},
        timeout=30,
    )
    assert forged.status_code == 403
    assert viewer.get(url + "/console/", timeout=10).url.endswith("/console/")  # unchanged
    set_by_admin = admin.post(
        url + "/console/users",
        data={"csrf": csrf_of(users), "action": "passwd", "username": "viewer1",
              "password": NEW_PASSWORD},
        timeout=30,
    )  # fmt: skip
    assert set_by_admin.status_code == 200 and "须修改" in set_by_admin.text
    assert viewer.get(url + "/console/", timeout=10, allow_redirects=False).status_code == 303
    person = sign_in_expired(url, "viewer1", NEW_PASSWORD)
    page = person.get(url + "/console/password", timeout=10).text
    chosen = "Tq6%pZr3!Hv5"
    person.post(
        url + "/console/password",
        data={"old": NEW_PASSWORD, "new": chosen, "confirm": chosen, "csrf": csrf_of(page)},
        timeout=30,
    )
    assert person.get(url + "/console/", timeout=10).url.endswith("/console/")
    assert ("user.passwd", "viewer1") in audited(accounts, "admin1")
    viewer_forged = person.post(
        url + "/console/users",
        data={"csrf": csrf_of(page), "action": "passwd", "username": "admin1",
              "password": NEW_PASSWORD},
        timeout=30,
    )  # fmt: skip
    assert viewer_forged.status_code == 403  # only an administrator sets passwords


def pair_form(page: str) -> dict[str, str]:
    found = re.search(
        r'name="a" value="([^"]+)"><input type="hidden" name="b" value="([^"]+)"', page
    )
    assert found, page[-2000:]
    return {"csrf": csrf_of(page), "sitting": SITTING, "a": found.group(1), "b": found.group(2)}


def test_a_hired_gun_decision_stays_with_its_pair_when_the_search_runs_again(
    central: Central, server: BackgroundServer
) -> None:
    day = exam_day(central.home, server.url)
    accounts = staffed(central)
    url = server.url
    search = f"{url}/console/hired-guns?sitting={SITTING}"
    viewer = sign_in(url, "viewer1")
    page = viewer.get(search, timeout=30).text
    assert "review-form" not in page and "待复核" in page
    operator = sign_in(url, "op1")
    page = operator.get(search, timeout=30).text
    fields = pair_form(page)
    assert viewer.post(url + "/console/hired-guns/review", data={**fields, "csrf": csrf_of(
        viewer.get(search, timeout=30).text)}, timeout=10).status_code == 403  # fmt: skip
    forged = operator.post(
        url + "/console/hired-guns/review", data={**fields, "csrf": "x", "decision": "confirmed"},
        timeout=10,
    )  # fmt: skip
    assert forged.status_code == 403
    for bad in ({"decision": "maybe"}, {"decision": "confirmed", "b": fields["a"]},
                {"decision": "confirmed", "b": "ST-A1:999"}):  # fmt: skip
        refused = operator.post(
            url + "/console/hired-guns/review", data={**fields, **bad}, timeout=10
        )
        assert refused.status_code == 400 and 'id="error"' in refused.text
    assert central.home.store.read("SELECT COUNT(*) FROM reviews")[0][0] == 0
    note = "两张照片为同一人，已报告考务"
    decided = operator.post(
        url + "/console/hired-guns/review",
        data={**fields, "decision": "confirmed", "note": note},
        timeout=30,
    )
    assert (
        decided.status_code == 200 and "确认为同一人代考" in decided.text and note in decided.text
    )
    # The search runs again with another look-alike check-in in the sitting: the pair is
    # found anew (in another order), and the decision is still on it.
    station = day.stations[0]
    pushed_from = len(station.events)
    gun = [float(x) for x in np.asarray(json.loads(central.home.store.read(
        "SELECT payload FROM events WHERE candidate_id = 'C001' AND type = 'checkin.admitted'"
    )[0][0])["face_encoding"])]  # fmt: skip
    station.checkin("C004X", near(gun, np.random.default_rng(5)))
    station.push(url, after=pushed_from)
    again = operator.get(search, timeout=30).text
    assert re.search(r'id="pair-count">3<', again)
    assert again.count("确认为同一人代考</p>") == 1 and note in again
    runner = CliRunner()
    listed = runner.invoke(
        cli, ["--home", str(central.path), "--db", central.home.db_url, "hired-guns",
              "--sitting", SITTING, "--json"],
    )  # fmt: skip
    pairs = json.loads(listed.output)["pairs"]
    reviewed = [p for p in pairs if p["review"]]
    assert len(pairs) == 3 and len(reviewed) == 1
    (one,) = reviewed
    assert {one["a"]["candidate_id"], one["b"]["candidate_id"]} == set(day.hired_gun)
    assert one["review"]["decision"] == "confirmed" and one["review"]["by"] == "op1"
    assert one["review"]["note"] == note
    assert ("hired_gun.reviewed", one["pair"]) in audited(accounts, "op1")


def test_times_are_shown_in_the_centres_zone_in_words(central: Central) -> None:
    exam_day(central.home)
    staffed(central)
    configure(central.path, time_zone="Europe/London")
    with BackgroundServer(central.home, central.keys) as srv:
        viewer = sign_in(srv.url, "viewer1")
        incidents = viewer.get(srv.url + "/console/incidents", timeout=10).text
        # Recorded at 08:mm+08:00 by the station: 01:mm in London (summer time).
        assert re.search(
            r'<time datetime="2026-06-01T01:\d\d:00\+01:00" [^>]*>2026-06-01 01:\d\d:00'
            r"（\d+ 天前）</time>", incidents
        ), incidents  # fmt: skip
        overview = viewer.get(srv.url + "/console/", timeout=10).text
        assert re.search(r"<time [^>]+>\d\d:\d\d:\d\d（(刚刚|\d+ 分钟前)）</time>", overview)
        shown = re.sub(r"<[^>]+>", "", overview.split("<main>")[1])  # the text people read
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", shown)  # no raw ISO text
        export = viewer.get(srv.url + "/console/export/flagged.csv", timeout=10)
        assert re.search(r",2026-06-01T08:\d\d:00\+08:00,", export.text)  # ISO with offset
    configure(central.path, time_zone="Nowhere/Atlantis")
    with pytest.raises(SettingsError) as refused:  # the service does not start with it
        BackgroundServer(central.home, central.keys)
    assert "Nowhere/Atlantis" in refused.value.zh and "time zone" in refused.value.en

"""The web console over HTTP on 127.0.0.1: nothing without signing in, roles, CSRF, the
pages with what the stations sent, photos and exports audited, the receipt check."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from sync.central.console.receipt import MAX_CHECKS
from sync.central.server import BackgroundServer
from sync.central.staff import StaffAccounts

from .conftest import Central
from .console_data import PASSWORD, SITTING, exam_day


def sign_in(url: str, username: str, password: str = PASSWORD) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{url}/console/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    answer = browser.post(
        f"{url}/console/login",
        data={"csrf": csrf.group(1), "username": username, "password": password},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.url.endswith("/console/"), answer.text[:500]
    return browser


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def staffed(central: Central) -> StaffAccounts:
    accounts = StaffAccounts(central.home.store)
    accounts.add("viewer1", "查看员甲", "viewer", PASSWORD)
    accounts.add("op1", "操作员乙", "operator", PASSWORD)
    accounts.add("admin1", "管理员丙", "admin", PASSWORD)
    return accounts


def audited(accounts: StaffAccounts, who: str) -> list[tuple[str, str]]:
    return [(a, t) for _, w, a, t, *_ in accounts.audit_log() if w == who]


def test_nothing_is_served_without_signing_in(central: Central, server: BackgroundServer) -> None:
    day = exam_day(central.home, server.url)
    staffed(central)
    anonymous = requests.Session()
    station = day.stations[0]
    for path in ("/console/", "/console/flagged", f"/console/photo/{station.station_id}/1",
                 "/console/candidate?id=C001", "/console/export/flagged.csv",
                 "/console/hired-guns?sitting=" + SITTING):  # fmt: skip
        answer = anonymous.get(server.url + path, timeout=10, allow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
        assert "C001" not in answer.text
    assert anonymous.get(server.url + "/console/api/live", timeout=10).status_code == 401
    assert anonymous.get(server.url + "/console/api/events", timeout=10).status_code == 401
    password = anonymous.get(server.url + "/console/password", timeout=10, allow_redirects=False)
    assert password.headers["location"] == "/console/login"
    for path in ("/console/password", "/console/hired-guns/review", "/console/users"):
        posted = anonymous.post(server.url + path, data={"csrf": "x"}, timeout=10,
                                allow_redirects=False)  # fmt: skip
        assert posted.status_code == 303 and posted.headers["location"] == "/console/login"
    # A wrong password is refused with a message in Chinese (English on request).
    page = anonymous.get(server.url + "/console/login", timeout=10)
    assert "登录" in page.text
    wrong = anonymous.post(
        server.url + "/console/login",
        data={"csrf": csrf_of(page.text), "username": "op1", "password": "nope"},
        timeout=30,
    )
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text
    # Without the form's token the sign-in is refused even with the right password.
    forged = requests.post(
        server.url + "/console/login",
        data={"csrf": "x", "username": "op1", "password": PASSWORD},
        timeout=30,
    )
    assert forged.status_code == 403 and "ek_session" not in forged.cookies


def test_session_cookie_and_pages_show_exam_day(central: Central, server: BackgroundServer) -> None:
    day = exam_day(central.home, server.url)
    accounts = staffed(central)
    browser = requests.Session()
    page = browser.get(server.url + "/console/login", timeout=10)
    answer = browser.post(
        server.url + "/console/login",
        data={"csrf": csrf_of(page.text), "username": "viewer1", "password": PASSWORD},
        timeout=30,
        allow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert "ek_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    overview = browser.get(server.url + "/console/", timeout=10)
    assert overview.status_code == 200
    for text in ("ST-A1", "ST-B1", "V-A", "在线", SITTING):
        assert text in overview.text
    assert overview.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in overview.headers["Content-Security-Policy"]
    live = browser.get(server.url + "/console/api/live", timeout=10).json()
    assert live["stations_total"] == 3 and live["admitted_total"] == 5
    assert live["events_total"] == sum(len(s.events) for s in day.stations)
    progress = browser.get(server.url + "/console/progress", timeout=10).text
    # V-A expects C001-C004: C001, C003, C004 admitted, C002 refused, no no-shows;
    # V-B expects C005-C008: C005, C006 admitted, two no-shows.
    assert re.search(r"<td>V-A</td><td>4</td><td>3</td><td>1</td><td>0</td>", progress)
    assert re.search(r"<td>V-B</td><td>4</td><td>2</td><td>0</td><td>2</td>", progress)
    flagged = browser.get(server.url + "/console/flagged", timeout=10).text
    assert flagged.count('class="flag-lookalike"') == 1
    assert flagged.count('class="flag-manual"') == 1
    assert flagged.count('class="flag-override"') == 1
    photos = set(re.findall(r'src="(/console/photo/[^"]+)"', flagged))
    assert photos
    for src in photos:
        image = browser.get(server.url + src, timeout=10)
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    incidents = browser.get(server.url + "/console/incidents", timeout=10).text
    assert "A second face in view" not in incidents and "画面中有第二张人脸" in incidents
    english = browser.get(server.url + "/console/lang/en?next=/console/incidents", timeout=10).text
    assert "A second face in view" in english and "Proctoring incidents" in english
    submissions = browser.get(server.url + "/console/submissions", timeout=10).text
    assert 'id="submissions-total">2<' in submissions and day.receipt[1] in submissions
    timeline = browser.get(server.url + "/console/candidate?id=C001", timeout=10).text
    for kind in ("snapshot.taken", "checkin.admitted", "proctor.incident", "attempt.submitted"):
        assert kind in timeline
    assert "face_encoding" not in timeline
    inspections = browser.get(server.url + "/console/inspections", timeout=10).text
    # The station's wall time (08:mm+08:00) in the centre's zone (Asia/Shanghai), in words;
    # the exact ISO time stays in the element's datetime for a tooltip.
    assert re.search(
        r'<td>ST-B1</td><td><time datetime="2026-06-01T08:\d\d:00\+08:00" [^>]+>'
        r"2026-06-01 08:\d\d:00 \(\d+ days ago\)</time></td><td>pass</td>",
        inspections,
    )
    assert re.search(r"<td>ST-A1</td><td>never</td>", inspections)  # English by now
    problems = browser.get(server.url + "/console/problems", timeout=10).text
    assert 'id="no-problems"' in problems
    log = audited(accounts, "viewer1")
    for action in ("view.flagged", "view.photo", "view.incidents", "view.submissions"):
        assert action in {a for a, _ in log}
    assert ("view.candidate", "C001") in log


def test_roles_csrf_and_audited_export(central: Central, server: BackgroundServer) -> None:
    exam_day(central.home, server.url)
    accounts = staffed(central)
    viewer = sign_in(server.url, "viewer1")
    page = viewer.get(server.url + "/console/flagged", timeout=10).text
    assert "标记已复核" not in page  # a viewer reads, does not decide
    denied = viewer.post(
        server.url + "/console/flagged/review",
        data={"csrf": csrf_of(page), "station_id": "ST-A1", "seq": "4"},
        timeout=10,
    )
    assert denied.status_code == 403
    assert viewer.get(server.url + "/console/users", timeout=10).status_code == 403
    operator = sign_in(server.url, "op1")
    page = operator.get(server.url + "/console/flagged", timeout=10).text
    seq = re.search(r'name="station_id" value="ST-A1"><input type="hidden" name="seq" '
                    r'value="(\d+)"', page)  # fmt: skip
    assert seq
    forged = operator.post(
        server.url + "/console/flagged/review",
        data={"csrf": "forged", "station_id": "ST-A1", "seq": seq.group(1)},
        timeout=10,
    )
    assert forged.status_code == 403
    assert central.home.store.read("SELECT COUNT(*) FROM reviews")[0][0] == 0
    done = operator.post(
        server.url + "/console/flagged/review",
        data={"csrf": csrf_of(page), "station_id": "ST-A1", "seq": seq.group(1)},
        timeout=10,
    )
    assert done.status_code == 200 and "已复核: op1" in done.text
    assert re.search(
        r"已复核: op1</span><br><span class=\"muted\"><time [^>]+>[^<]+（刚刚）", done.text
    )
    incidents = operator.get(server.url + "/console/incidents", timeout=10).text
    assert (
        "确认已处理" in incidents
        and "确认已处理" not in viewer.get(server.url + "/console/incidents", timeout=10).text
    )
    acked = operator.post(
        server.url + "/console/flagged/review",
        data={"csrf": csrf_of(incidents), "kind": "incident", "station_id": "ST-A1",
              "seq": "5"},
        timeout=10,
    )  # fmt: skip
    assert acked.url.endswith("/console/incidents") and "已处理: op1" in acked.text
    assert ("incident.reviewed", "ST-A1:5") in audited(accounts, "op1")
    export = operator.get(server.url + "/console/export/flagged.csv", timeout=10)
    assert export.headers["content-disposition"].startswith("attachment")
    rows = export.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("kind,decision,candidate_id") and len(rows) == 1 + 3
    assert ("export.flagged", "") in audited(accounts, "op1")
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):  # issue 12's statistics
        stats = operator.get(server.url + f"/console/export/stats.{fmt}", timeout=60)
        assert stats.status_code == 200 and stats.content.startswith(magic)
        assert (f"export.stats.{fmt}", "") in audited(accounts, "op1")
    assert ("checkin.reviewed", f"ST-A1:{seq.group(1)}") in audited(accounts, "op1")
    admin = sign_in(server.url, "admin1")
    users = admin.get(server.url + "/console/users", timeout=10).text
    assert "export.flagged" in users  # the admin reads who did what
    admin.post(
        server.url + "/console/users",
        data={"csrf": csrf_of(users), "action": "disable", "username": "op1"},
        timeout=10,
    )
    # The disabled operator's session ended at once.
    after = operator.get(server.url + "/console/flagged", timeout=10, allow_redirects=False)
    assert after.status_code == 303
    signed_out = viewer.post(
        server.url + "/console/logout", data={"csrf": csrf_of(page)}, timeout=10
    )
    assert signed_out.status_code == 403  # the operator's token is not the viewer's


def test_hired_gun_pair_across_venues_is_shown_with_both_photos(
    central: Central, server: BackgroundServer
) -> None:
    day = exam_day(central.home, server.url)
    staffed(central)
    browser = sign_in(server.url, "viewer1")
    page = browser.get(server.url + "/console/hired-guns?sitting=" + SITTING, timeout=30).text
    assert 'id="pair-count">1<' in page
    shown = re.findall(r"candidate\?id=(C\d+)", page)
    assert set(shown) == set(day.hired_gun)
    assert "V-A" in page and "V-B" in page
    assert len(re.findall(r'src="/console/photo/', page)) == 2


def test_receipt_check_says_only_yes_or_no(central: Central, server: BackgroundServer) -> None:
    day = exam_day(central.home, server.url)
    ticket, code = day.receipt
    browser = requests.Session()

    def check(t: str, c: str) -> requests.Response:
        page = browser.get(server.url + "/receipt", timeout=10)
        return browser.post(
            server.url + "/receipt", data={"csrf": csrf_of(page.text), "ticket": t, "code": c},
            timeout=10,
        )  # fmt: skip

    yes = check(ticket, code.lower()[:6] + " " + code.lower()[6:])
    assert yes.status_code == 200 and "已送达" in yes.text and "2026-06-01" in yes.text
    assert "C001" not in yes.text and "考生1" not in yes.text
    altered = check(ticket, ("0" if code[0] != "0" else "1") + code[1:])
    assert "未找到" in altered.text
    assert "未找到" in check("TC005", code).text  # another candidate's ticket
    assert check("x'; --", code).status_code == 400
    for _ in range(MAX_CHECKS - 4):
        check(ticket, code)
    assert check(ticket, code).status_code == 429


def test_over_https_the_session_cookie_is_secure(central: Central, tmp_path: Path) -> None:
    from tests.sync.test_client import _tls_files

    staffed(central)
    ca, cert, key = _tls_files(tmp_path)
    with BackgroundServer(central.home, ssl_certfile=str(cert), ssl_keyfile=str(key)) as srv:
        browser = requests.Session()
        page = browser.get(srv.url + "/console/login", timeout=10, verify=str(ca))
        answer = browser.post(
            srv.url + "/console/login",
            data={"csrf": csrf_of(page.text), "username": "viewer1", "password": PASSWORD},
            timeout=30,
            allow_redirects=False,
            verify=str(ca),
        )
        cookie = answer.headers["set-cookie"]
        assert "ek_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_behind_a_tls_proxy_the_cookies_are_secure(server: BackgroundServer) -> None:
    # nginx on this host terminates TLS and says so; plain HTTP without it stays plain.
    proxied = requests.get(
        server.url + "/console/login", headers={"X-Forwarded-Proto": "https"}, timeout=10
    )
    assert "Secure" in proxied.headers["set-cookie"]
    direct = requests.get(server.url + "/console/login", timeout=10)
    assert "Secure" not in direct.headers["set-cookie"]

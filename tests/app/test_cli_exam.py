"""`examkiosk exam ...` on a demo venue, through the real entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from examkiosk.app.demo_venue import build_demo_venue, demo_accounts

REPO = Path(__file__).resolve().parents[2]
MAIN = "from examkiosk.app.cli import main; main()"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli_exam") / "venue"
    build_demo_venue(root, faces_dir=None, candidates=3, items=12).station.close()
    return root


@pytest.fixture
def venue(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "venue"
    shutil.copytree(template, target)
    return target


def examkiosk(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the command; `exam simulate` and transfers sign in as the demo venue's staff
    (the venue administrator runs simulations, an invigilator moves attempts)."""
    env = dict(os.environ)
    if "--data-dir" in args and ("simulate" in args or "-attempt" in "".join(args)):
        venue = Path(args[args.index("--data-dir") + 1])
        number = "demo-admin" if "simulate" in args else "demo-inv1"
        env.update(EXAMKIOSK_STAFF=number, EXAMKIOSK_STAFF_PASSWORD=demo_accounts(venue)[number])
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
        env=env,
    )


def ticket(n: int) -> str:
    return f"20261122{n:04d}"


def show(venue: Path, n: int = 1) -> dict[str, object]:
    out = examkiosk("exam", "show", "--data-dir", str(venue), "--candidate", ticket(n), "--json")
    return dict(json.loads(out.stdout))


def test_simulate_checks_in_answers_and_continues_the_attempt(venue: Path) -> None:
    assert show(venue)["state"] == "not_started"
    first = examkiosk(
        "exam",
        "simulate",
        "--data-dir",
        str(venue),
        "--candidate",
        ticket(1),
        "--answers",
        "3",
        "--seed",
        "1",
    )
    assert "checked-in" in first.stderr
    lines = first.stdout.split()
    saved = dict(zip(lines[1::3], lines[2::3], strict=True))
    assert lines[0::3] == ["saved"] * 3
    data = show(venue)
    assert data["state"] == "in_progress" and data["answers"] == saved
    assert 0 < float(data["remaining_seconds"]) <= 120 * 60  # type: ignore[arg-type]

    second = examkiosk(
        "exam",
        "simulate",
        "--data-dir",
        str(venue),
        "--candidate",
        ticket(1),
        "--answers",
        "2",
        "--delay-ms",
        "5",
    )
    assert "checked-in" not in second.stderr
    more = second.stdout.split()
    saved.update(dict(zip(more[1::3], more[2::3], strict=True)))
    again = show(venue)
    assert again["attempt_id"] == data["attempt_id"]
    assert again["answers"] == saved and len(saved) == 5

    done = examkiosk(
        "exam", "simulate", "--data-dir", str(venue), "--candidate", ticket(1), "--submit"
    )
    assert "submitted" in done.stdout
    assert show(venue)["state"] == "submitted" and len(show(venue)["answers"]) == 12  # type: ignore[arg-type]


def test_unknown_candidate_is_a_clear_error(venue: Path) -> None:
    result = examkiosk(
        "--lang", "en", "exam", "show", "--data-dir", str(venue), "--candidate", "NOPE", check=False
    )
    assert result.returncode == 2
    assert "No candidate has this admission ticket" in result.stderr
    assert "Traceback" not in result.stderr


def test_resume_code_and_export_of_an_attempt(venue: Path, tmp_path: Path) -> None:
    examkiosk(
        "exam", "simulate", "--data-dir", str(venue), "--candidate", ticket(2), "--answers", "1"
    )
    request, code = examkiosk(
        "exam", "resume-code", "--data-dir", str(venue), "--candidate", ticket(2)
    ).stdout.split()
    assert request == show(venue, 2)["resume_request"] and len(code) == 8
    out = tmp_path / "usb" / "a.eka"
    examkiosk(
        "exam",
        "export-attempt",
        "--data-dir",
        str(venue),
        "--candidate",
        ticket(2),
        "--out",
        str(out),
    )
    assert out.exists() and show(venue, 2)["state"] == "transferred"
    refused = examkiosk(
        "--lang",
        "en",
        "exam",
        "simulate",
        "--data-dir",
        str(venue),
        "--candidate",
        ticket(2),
        check=False,
    )
    assert refused.returncode == 2 and "spare station" in refused.stderr


def test_template_and_convert(tmp_path: Path) -> None:
    bank = tmp_path / "bank.xlsx"
    examkiosk("exam", "template", "--out", str(bank))
    paper = tmp_path / "paper.json"
    examkiosk("exam", "convert", str(bank), "--out", str(paper))
    assert len(json.loads(paper.read_text())["sections"]) == 3
    book = load_workbook(bank)
    book.worksheets[0]["N2"] = "Q"
    book.save(bank)
    bad = examkiosk(
        "--lang",
        "en",
        "exam",
        "convert",
        str(bank),
        "--out",
        str(tmp_path / "bad.json"),
        check=False,
    )
    assert bad.returncode == 2 and "row 2, column N" in bad.stderr
    assert not (tmp_path / "bad.json").exists()

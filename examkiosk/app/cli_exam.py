"""`examkiosk exam ...`: the exam engine from the command line.

`simulate` answers items of a candidate's attempt through the same engine the seat uses and
prints `saved ITEM_ID ANSWER` only after each commit returned (the durability harness);
`show` prints the attempt as stored; `incidents` lists the proctoring incidents. The
invigilator's tools (resume code, moving an attempt to a spare station) and the question-bank
converters live here too.

Also runnable as `python -m examkiosk.app.cli_exam` (a fast start for the kill tests: it
imports only what the exam needs).
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import click

from examkiosk.app.cli_auth import signed_in, staff_options
from examkiosk.app.cli_options import DATA_DIR, PASSPHRASE_FILE, KioskGroup, data_dir_or_default

CANDIDATE = click.option(
    "--candidate", "ticket", required=True, help="Admission ticket (准考证号)."
)


def _open(data_dir: Path | None, passphrase_file: Path | None) -> Any:
    from examkiosk.app.unlock import open_for_cli

    return open_for_cli(data_dir_or_default(data_dir), passphrase_file)


@click.group("exam", cls=KioskGroup)
def exam() -> None:
    """Offline exam engine (考试引擎): simulate, show, resume codes, spare stations."""


def _check_in_simulated(station: Any, ticket: str, person: Any) -> bool:
    """Admit the candidate at a simulated door (no camera) if not yet admitted; `person` is
    the signed-in venue administrator running the simulation (named in the event)."""
    from examkiosk.core import roster
    from examkiosk.core.checkin import CheckInDesk
    from examkiosk.core.face_check import FaceService
    from hardware.cards.document import DocumentType, IdentityDocument, ReadingMethod

    candidate = roster.by_ticket(station.store, ticket)
    rows = station.store.query(
        "SELECT decision FROM checkins WHERE candidate_id = ?", (candidate.candidate_id,)
    )
    if rows and rows[0][0] == "admitted":
        return False
    desk = CheckInDesk(station, FaceService(None))
    document = IdentityDocument(
        doc_type=DocumentType.CN_RESIDENT_ID,
        number=candidate.id_number,
        name=candidate.name,
        reading_method=ReadingMethod.SIMULATED,
    )
    assessment = desk.assess(document, None, None)
    desk.decide(
        assessment,
        admit=True,
        invigilator=person.staff_number,
        reason="模拟签到（无摄像头）simulated check-in, no camera",
        person=person,
    )
    return True


@exam.command()
@DATA_DIR
@PASSPHRASE_FILE
@CANDIDATE
@click.option(
    "--answers",
    "count",
    type=click.IntRange(0),
    default=None,
    help="How many answers to save (default: every unanswered item).",
)
@click.option("--delay-ms", type=click.IntRange(0), default=0, help="Pause between answers.")
@click.option("--seed", type=int, default=None, help="Seed for the answers chosen.")
@click.option("--submit", is_flag=True, help="Submit the attempt after answering.")
@staff_options
def simulate(
    data_dir: Path | None,
    passphrase_file: Path | None,
    ticket: str,
    count: int | None,
    delay_ms: int,
    seed: int | None,
    submit: bool,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Answer items of TICKET's attempt through the engine; `saved ITEM ANSWER` per commit.

    Only on a rehearsal or demo venue (the package says so), by a signed-in venue
    administrator; refused and audited anywhere else."""
    from examkiosk.core.authz import audit
    from examkiosk.core.exam import ExamEngine, answer_text
    from examkiosk.core.simulation import require_simulation

    station = _open(data_dir, passphrase_file)
    try:
        require_simulation(station, None, "exam simulate")
        person = signed_in(station, "simulation.run", staff, staff_password_file, data_dir=data_dir)
        with station.store.transaction() as conn:
            audit(
                station,
                conn,
                person,
                "simulation.run",
                {"command": "exam simulate", "ticket": ticket},
            )
        if _check_in_simulated(station, ticket, person):
            click.echo(f"checked-in {ticket}", err=True)
        candidate_id_number = station.store.query(
            "SELECT id_number FROM candidates WHERE ticket = ?", (ticket.strip(),)
        )[0][0]
        engine = ExamEngine(station)
        # The signed-in administrator running the simulation approves taking the attempt
        # over from a previous run still counted as alive (audited as seat_takeover).
        attempt = engine.login(ticket, candidate_id_number, takeover_by=person)
        if attempt.state != "in_progress":
            click.echo(f"attempt {attempt.attempt_id} is {attempt.state}", err=True)
            return
        state = engine.seat_state(attempt.attempt_id)
        rng = random.Random(seed)
        order = [i for i in state.paper.items() if i.section_id not in state.locked_sections]
        todo = [i for i in order if not state.answers.get(i.item_id)]
        todo += [i for i in order if state.answers.get(i.item_id)]  # then change answers
        wanted = len(todo) if count is None else count
        section = None
        for n in range(wanted):
            item = todo[n % len(todo)]
            if item.section_id != section:
                engine.move_to(attempt.attempt_id, item.item_id)
                section = item.section_id
            keys = [o.key for o in item.options]
            if item.multiple:
                answer = sorted(rng.sample(keys, rng.randint(1, len(keys))))
            else:
                answer = [rng.choice(keys)]
            engine.save_answer(attempt.attempt_id, item.item_id, answer)
            # Printed only now: the commit (WAL, synchronous=FULL) has returned.
            sys.stdout.write(f"saved {item.item_id} {answer_text(answer)}\n")
            sys.stdout.flush()
            if delay_ms:
                time.sleep(delay_ms / 1000)
        if submit:
            receipt = engine.submit(attempt.attempt_id)
            click.echo(f"submitted {attempt.attempt_id} {receipt.answer_hash}")
    finally:
        station.close()


def attempt_json(station: Any, ticket: str) -> dict[str, Any]:
    """The attempt of `ticket` as `exam show --json` prints it."""
    from examkiosk.core import roster
    from examkiosk.core.exam import ExamEngine, answer_text

    engine = ExamEngine(station)
    candidate = roster.by_ticket(station.store, ticket)
    attempt = engine.attempt_for(candidate.candidate_id)
    if attempt is None:
        return {
            "ticket": candidate.ticket,
            "candidate_id": candidate.candidate_id,
            "attempt_id": None,
            "state": "not_started",
            "elapsed_seconds": 0,
            "remaining_seconds": engine.settings().duration_ms / 1000,
            "answers": {},
            "flags": [],
            "receipt": None,
        }
    return {
        "ticket": candidate.ticket,
        "candidate_id": candidate.candidate_id,
        "attempt_id": attempt.attempt_id,
        "state": attempt.state,
        "elapsed_seconds": attempt.elapsed_ms / 1000,
        "remaining_seconds": attempt.remaining_ms / 1000,
        "answers": {
            k: answer_text(v) for k, v in sorted(engine.answers(attempt.attempt_id).items())
        },
        "flags": sorted(engine.flags(attempt.attempt_id)),
        "receipt": attempt.receipt,
        "resume_request": engine.resume_request(attempt.attempt_id),
    }


@exam.command()
@DATA_DIR
@PASSPHRASE_FILE
@CANDIDATE
@click.option("--json", "as_json", is_flag=True)
def show(data_dir: Path | None, passphrase_file: Path | None, ticket: str, as_json: bool) -> None:
    """The candidate's attempt as stored: state, remaining time, answers."""
    station = _open(data_dir, passphrase_file)
    try:
        data = attempt_json(station, ticket)
    finally:
        station.close()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    remaining = int(data["remaining_seconds"])
    click.echo(
        f"{data['ticket']}  {data['state']}  剩余 remaining {remaining // 60}:{remaining % 60:02d}"
        f"  已答 answered {sum(1 for v in data['answers'].values() if v != '-')}"
    )
    for item_id, answer in data["answers"].items():
        click.echo(f"  {item_id:<12} {answer}")


@exam.command("incidents")
@DATA_DIR
@PASSPHRASE_FILE
@click.option("--json", "as_json", is_flag=True)
def incidents_command(data_dir: Path | None, passphrase_file: Path | None, as_json: bool) -> None:
    """Proctoring incidents (监考抓拍异常) for the invigilator: absent, another face, several
    faces, no camera picture. The candidate's exam is never stopped by them."""
    from examkiosk.core.proctor_incidents import incidents

    station = _open(data_dir, passphrase_file)
    try:
        found = incidents(station)
    finally:
        station.close()
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("没有监考抓拍异常 no proctoring incidents")
        return
    for i in found:
        distance = "" if i.distance is None else f"  distance {i.distance:.2f}"
        click.echo(
            f"{i.at[:19]}  {i.seat:>4}  {i.ticket}  {i.name}  {i.kind}{distance}  "
            f"snapshot {i.snapshot_id if i.snapshot_id is not None else '-'}"
        )
        click.echo(f"    {i.message_zh} / {i.message_en}")
        if i.acknowledged:  # acknowledged on the admin screen (监考工具 → 监考事件)
            click.echo(
                f"    已处理 acknowledged: {i.acknowledged_by_name} ({i.acknowledged_by}): {i.note}"
            )


@exam.command("acknowledge")
@DATA_DIR
@PASSPHRASE_FILE
@click.argument("seq", type=int)
@click.option("--note", required=True, help="What was done (required).")
@staff_options
def acknowledge_command(
    data_dir: Path | None,
    passphrase_file: Path | None,
    seq: int,
    note: str,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Acknowledge the proctoring incident SEQ (from `exam incidents --json`) with a note:
    an invigilator signs in (--staff); recorded once, with their name."""
    from examkiosk.core.proctor_incidents import acknowledge

    station = _open(data_dir, passphrase_file)
    try:
        person = signed_in(
            station, "incident.acknowledge", staff, staff_password_file, data_dir=data_dir
        )
        done = acknowledge(station, person, seq, note)
    finally:
        station.close()
    click.echo(f"已处理 acknowledged: {done.seat} {done.ticket} {done.kind} ({person.name})")


@exam.command("resume-code")
@DATA_DIR
@PASSPHRASE_FILE
@CANDIDATE
@click.option(
    "--request",
    default=None,
    help="The request shown on the seat (e.g. 3F2A9C1B-0); default: this station's "
    "attempt of the candidate.",
)
@staff_options
def resume_code_command(
    data_dir: Path | None,
    passphrase_file: Path | None,
    ticket: str,
    request: str | None,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """The invigilator's resume code (续考码) for a candidate's request (signed in, audited)."""
    from examkiosk.core.resume_issue import issue_resume_code

    station = _open(data_dir, passphrase_file)
    try:
        person = signed_in(
            station, "resume_code.issue", staff, staff_password_file, data_dir=data_dir
        )
        request, code = issue_resume_code(station, person, ticket, request)
    finally:
        station.close()
    click.echo(f"{request} {code}")


@exam.command("release-paper")
@DATA_DIR
@PASSPHRASE_FILE
@click.option(
    "--password",
    prompt="试卷启封口令 / paper password",
    hide_input=True,
    help="The paper password the exam centre releases at the start (prompted).",
)
@staff_options
def release_paper_command(
    data_dir: Path | None,
    passphrase_file: Path | None,
    password: str,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Open a sealed paper with the password the centre releases at exam start (开考启封);
    a venue administrator signs in."""
    from examkiosk.core.package_import import release_paper

    station = _open(data_dir, passphrase_file)
    try:
        person = signed_in(station, "paper.release", staff, staff_password_file, data_dir=data_dir)
        items = release_paper(station, password, by=person)
    finally:
        station.close()
    click.echo(f"试卷已启封 paper opened: {items} items")


@exam.command("export-attempt")
@DATA_DIR
@PASSPHRASE_FILE
@CANDIDATE
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@staff_options
def export_attempt_command(
    data_dir: Path | None,
    passphrase_file: Path | None,
    ticket: str,
    out: Path,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Move a candidate's attempt to a spare station: write it to a signed file (.eka).
    An invigilator signs in (--staff); the event names them."""
    from examkiosk.core import roster
    from examkiosk.core.errors import NotFound
    from examkiosk.core.exam import ExamEngine
    from examkiosk.core.transfer import export_attempt

    station = _open(data_dir, passphrase_file)
    try:
        person = signed_in(station, "attempt.move", staff, staff_password_file, data_dir=data_dir)
        engine = ExamEngine(station)
        attempt = engine.attempt_for(roster.by_ticket(station.store, ticket).candidate_id)
        if attempt is None:
            raise NotFound("该考生尚未开始作答。", "This candidate has not started.")
        info = export_attempt(engine, attempt.attempt_id, out, person=person)
    finally:
        station.close()
    click.echo(
        f"已写入并校验 written and verified: {out} (answers {info.answers}, "
        f"generation {info.generation}, sha256 {info.sha256[:16]}…)"
    )


@exam.command("import-attempt")
@DATA_DIR
@PASSPHRASE_FILE
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@staff_options
def import_attempt_command(
    data_dir: Path | None,
    passphrase_file: Path | None,
    file: Path,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Continue an attempt here that another station of this venue exported. An
    invigilator signs in (--staff); a file not signed by a station the package lists is
    refused, audited, and changes nothing."""
    from examkiosk.core.exam import ExamEngine
    from examkiosk.core.transfer import import_attempt

    station = _open(data_dir, passphrase_file)
    try:
        person = signed_in(station, "attempt.move", staff, staff_password_file, data_dir=data_dir)
        info = import_attempt(ExamEngine(station), file, person=person)
    finally:
        station.close()
    click.echo(
        f"已导入 imported: attempt {info.attempt_id} from {info.source_station} "
        f"(answers {info.answers}); the candidate can log in here now."
    )


@exam.command()
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--blank", is_flag=True, help="Without the example rows.")
def template(out: Path, blank: bool) -> None:
    """Write the Excel question-bank template (.xlsx) with its column notes."""
    from examkiosk.core.bank_xlsx import write_template

    write_template(out, examples=not blank)
    click.echo(f"已写入模板 template written: {out}")


@exam.command()
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
def convert(source: Path, out: Path) -> None:
    """Check a question bank (.xlsx template, or QTI 2.1: .xml, folder or .zip) and write
    the paper as JSON for the exam package. Errors are listed by row and column (or file
    and line); nothing is written unless the whole bank is valid."""
    from examkiosk.core.bank import write_paper
    from examkiosk.core.bank_qti import read_qti
    from examkiosk.core.bank_xlsx import read_xlsx

    paper = read_xlsx(source) if source.suffix.lower() == ".xlsx" else read_qti(source)
    write_paper(paper, out)
    count = sum(len(s["items"]) for s in paper["sections"])
    click.echo(
        f"已检查并写入 checked and written: {out} ({count} items, "
        f"{len(paper['sections'])} sections)"
    )


if __name__ == "__main__":
    exam(prog_name="examkiosk exam")

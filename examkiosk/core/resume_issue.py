"""Issuing a resume code (续考码) is an invigilator's act: checked and audited here, for the
door/admin screen and the command line alike. The code itself is not recorded (it would
let anyone who reads the outbox resume the attempt); the request it answers is."""

from __future__ import annotations

from examkiosk.core import roster
from examkiosk.core.authz import Person, audit, require
from examkiosk.core.errors import NotFound
from examkiosk.core.exam import ExamEngine
from examkiosk.core.resume_codes import package_secret, parse_request, resume_code
from examkiosk.core.station import Station


def issue_resume_code(
    station: Station, by: Person, ticket: str, request: str | None = None
) -> tuple[str, str]:
    """(request, code) for the candidate with `ticket`; `request` defaults to this station's
    attempt of that candidate. NotAllowed unless `by` may issue codes."""
    require(by, "resume_code.issue")
    candidate = roster.by_ticket(station.store, ticket)
    if request is None:
        engine = ExamEngine(station)
        attempt = engine.attempt_for(candidate.candidate_id)
        if attempt is None:
            raise NotFound(
                "该考生在本机没有作答，请输入座位上显示的请求码。",
                "This candidate has no attempt here; give the seat's request.",
            )
        request = engine.resume_request(attempt.attempt_id)
    parse_request(request)
    code = resume_code(package_secret(station.store), candidate.candidate_id, request)
    with station.store.transaction() as conn:
        audit(
            station,
            conn,
            by,
            "resume_code_issued",
            {
                "candidate_id": candidate.candidate_id,
                "ticket": candidate.ticket,
                "request": request.strip().upper(),
            },
        )
    return request, code

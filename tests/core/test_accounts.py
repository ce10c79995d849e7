"""Staff sign-in at a station: personal accounts, lock-out, enrolment, roles, audit events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from examkiosk.core.accounts import (
    Accounts,
    PasswordChangeRequired,
    SignInRefused,
    load_package_staff,
    parse_package_staff,
)
from examkiosk.core.authz import NotAllowed, Person, require
from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from sync.credentials import WeakPassword, make_verifier
from tests.core.exam_fixtures import FakeClock

INV_PASSWORD = "Lotus-Bridge#42"
ADMIN_PASSWORD = "Cedar-Harbor#77"


@pytest.fixture
def accounts(station: Station) -> Accounts:
    entries = parse_package_staff(
        {
            "staff": [
                {
                    "staff_number": "A001",
                    "name": "王主考",
                    "role": "venue_admin",
                    "verifier": make_verifier(ADMIN_PASSWORD),
                },
                {
                    "staff_number": "I001",
                    "name": "李监考",
                    "role": "invigilator",
                    "verifier": make_verifier(INV_PASSWORD),
                },
                {
                    "staff_number": "I002",
                    "name": "赵监考",
                    "role": "invigilator",
                    "enrolment_verifier": make_verifier("493-118-270"),
                },
                {
                    "staff_number": "T001",
                    "name": "周技术",
                    "role": "technician",
                    "verifier": make_verifier("Quartz-Meadow#5"),
                },
            ]
        }
    )
    with station.store.transaction() as conn:
        load_package_staff(station, conn, entries)
    return Accounts(station)


def _audit_types(station: Station) -> list[str]:
    return [e.type for e in station.events() if e.type.startswith("audit.")]


def test_sign_in_names_the_person_and_is_audited(accounts: Accounts, station: Station) -> None:
    person = accounts.sign_in("I001", INV_PASSWORD, purpose="mode.door")
    assert person == Person("I001", "李监考", "invigilator")
    last = station.events()[-1]
    assert last.type == "audit.signed_in"
    assert last.payload["by"] == "I001"
    assert INV_PASSWORD not in str([e.payload for e in station.events()])


def test_wrong_password_and_unknown_number_say_the_same(accounts: Accounts) -> None:
    with pytest.raises(SignInRefused) as wrong:
        accounts.sign_in("I001", "not-it")
    with pytest.raises(SignInRefused) as unknown:
        accounts.sign_in("NOBODY", "not-it")
    assert wrong.value.zh == unknown.value.zh


def test_five_failures_lock_the_account_for_fifteen_minutes(
    accounts: Accounts, station: Station, clock: FakeClock
) -> None:
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in("I001", "Wrong-Guess#1")
    with pytest.raises(SignInRefused, match="locked"):
        accounts.sign_in("I001", INV_PASSWORD)  # even the right password, while locked
    types = _audit_types(station)
    assert types.count("audit.signin_failed") == 5
    assert "audit.locked_out" in types and "audit.signin_refused_locked" in types
    clock.jump_wall(timedelta(minutes=16))
    assert accounts.sign_in("I001", INV_PASSWORD).staff_number == "I001"


def test_administrator_unlocks_a_locked_account(accounts: Accounts) -> None:
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in("I001", "Wrong-Guess#1")
    admin = accounts.sign_in("A001", ADMIN_PASSWORD)
    accounts.unlock(admin, "I001")
    assert accounts.sign_in("I001", INV_PASSWORD).role == "invigilator"


def test_enrolment_code_once_then_a_password_of_ones_own(accounts: Accounts) -> None:
    with pytest.raises(PasswordChangeRequired):
        accounts.sign_in("I002", "493-118-270")
    with pytest.raises(WeakPassword):
        accounts.sign_in("I002", "493-118-270", new_password="password1")
    person = accounts.sign_in("I002", "493-118-270", new_password="Maple-Stone#31")
    assert person.staff_number == "I002"
    with pytest.raises(SignInRefused):  # the code is spent
        accounts.sign_in("I002", "493-118-270")
    assert accounts.sign_in("I002", "Maple-Stone#31").name == "赵监考"


def test_expired_password_must_be_changed(accounts: Accounts, clock: FakeClock) -> None:
    clock.jump_wall(timedelta(days=91))
    with pytest.raises(PasswordChangeRequired):
        accounts.sign_in("I001", INV_PASSWORD)
    with pytest.raises(PasswordChangeRequired):  # not the same password again
        accounts.sign_in("I001", INV_PASSWORD, new_password=INV_PASSWORD)
    accounts.sign_in("I001", INV_PASSWORD, new_password="Willow-Creek#88")


def test_roles_decide_who_may(accounts: Accounts) -> None:
    inv = accounts.sign_in("I001", INV_PASSWORD)
    tech = accounts.sign_in("T001", "Quartz-Meadow#5")
    assert require(inv, "resume_code.issue") is inv
    with pytest.raises(NotAllowed, match="venue administrator"):
        require(inv, "package.import")
    with pytest.raises(NotAllowed):
        require(tech, "roster.view")  # a technician sees no candidate data
    with pytest.raises(NotAllowed, match="sign in"):
        require(None, "door.checkin")
    with pytest.raises(NotAllowed):
        accounts.add_local(inv, "I009", "新监考", "invigilator", "Birch-Valley#19")


def test_local_accounts_added_by_the_administrator_are_audited(
    accounts: Accounts, station: Station
) -> None:
    admin = accounts.sign_in("A001", ADMIN_PASSWORD)
    with pytest.raises(WeakPassword):
        accounts.add_local(admin, "I009", "新监考", "invigilator", "aaaaaaaa")
    accounts.add_local(admin, "I009", "新监考", "invigilator", "Birch-Valley#19")
    event = station.events()[-1]
    assert event.type == "audit.account_added" and event.payload["by"] == "A001"
    assert accounts.sign_in("I009", "Birch-Valley#19").name == "新监考"
    accounts.set_disabled(admin, "I009", True)
    with pytest.raises(SignInRefused):
        accounts.sign_in("I009", "Birch-Valley#19")


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"staff_number": "", "name": "x", "role": "invigilator", "verifier": "v"}, "staff_number"),
        ({"staff_number": "A1", "name": "x", "role": "root", "verifier": "v"}, "role"),
        ({"staff_number": "A1", "name": "x", "role": "invigilator", "verifier": "md5"}, "verifier"),
        ({"staff_number": "A1", "name": "x", "role": "invigilator"}, "verifier"),
    ],
)
def test_a_bad_staff_list_names_the_field(entry: dict[str, str], field: str) -> None:
    with pytest.raises(KioskError) as info:
        parse_package_staff({"staff": [entry]})
    assert field in info.value.en


def test_a_newer_package_disables_staff_it_no_longer_lists(
    accounts: Accounts, station: Station
) -> None:
    keep = parse_package_staff(
        {
            "staff": [
                {
                    "staff_number": "A001",
                    "name": "王主考",
                    "role": "venue_admin",
                    "verifier": make_verifier("unused-Here#1"),
                }
            ]
        }
    )
    with station.store.transaction() as conn:
        load_package_staff(station, conn, keep)
    with pytest.raises(SignInRefused):
        accounts.sign_in("I001", INV_PASSWORD)
    # the person's own password was kept, not replaced by the package's verifier
    assert accounts.sign_in("A001", ADMIN_PASSWORD).staff_number == "A001"

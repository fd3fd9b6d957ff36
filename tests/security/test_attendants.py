"""Attendant PINs: scrypt hashes, role grants, lock-out after wrong PINs, the TOML list."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.security.attendants import (
    Attendant,
    AttendantBook,
    AttendantError,
    LockedOut,
    LockoutPolicy,
    NotPermitted,
    Permission,
    PinHash,
    PinRejected,
    Role,
    attendants_toml,
    hash_pin,
    load_attendants,
    seed_demo_attendants,
)
from kiosk.security.lockout_state import SharedLockout


class ScryptCost(TypedDict):
    n: int
    r: int
    p: int


# Fast hashes for property tests; the format is the same.
CHEAP: ScryptCost = {"n": 2**4, "r": 1, "p": 1}


def attendant(attendant_id: str, pin: str, role: Role = Role.ATTENDANT) -> Attendant:
    return Attendant(attendant_id, attendant_id, role, PinHash.parse(hash_pin(pin, **CHEAP), "t"))


def test_hash_holds_no_clear_pin_and_verifies_only_that_pin() -> None:
    encoded = hash_pin("482913")
    assert "482913" not in encoded
    assert encoded.startswith("scrypt$16384$8$1$")
    parsed = PinHash.parse(encoded, "test")
    assert parsed.matches("482913")
    assert not parsed.matches("482914")
    assert not parsed.matches("")


def test_same_pin_hashes_differently_each_time() -> None:
    assert hash_pin("1234", **CHEAP) != hash_pin("1234", **CHEAP)


@settings(max_examples=30, deadline=None)
@given(pin=st.text("0123456789", min_size=4, max_size=8), other=st.text(min_size=0, max_size=9))
def test_a_hash_matches_its_pin_and_no_other(pin: str, other: str) -> None:
    parsed = PinHash.parse(hash_pin(pin, **CHEAP), "prop")
    assert parsed.matches(pin)
    if other != pin:
        assert not parsed.matches(other)


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "", "１２３４"])
def test_pins_must_be_four_to_eight_ascii_digits(pin: str) -> None:
    with pytest.raises(AttendantError, match="4 to 8 digits"):
        hash_pin(pin)


@pytest.mark.parametrize(
    "text",
    ["plain1234", "scrypt$16384$8$1$zz$00", "scrypt$1000$8$1$00$" + "00" * 32, "scrypt$16$8$1$$"],
)
def test_malformed_hashes_are_refused_with_where(text: str) -> None:
    with pytest.raises(AttendantError, match=r"attendants\.toml: A001"):
        PinHash.parse(text, "attendants.toml: A001")


def test_right_pin_returns_its_attendant_and_resets_failures() -> None:
    book = AttendantBook((attendant("A1", "1111"), attendant("A2", "2222")), LockoutPolicy(3, 60))
    with pytest.raises(PinRejected) as wrong:
        book.authenticate("9999", now=0)
    assert wrong.value.remaining == 2
    assert book.authenticate("2222", now=1).attendant_id == "A2"
    for now in (2, 3):
        with pytest.raises(PinRejected):
            book.authenticate("9999", now=now)
    assert book.authenticate("1111", now=4).attendant_id == "A1"  # two wrong, then right


def test_lockout_after_max_failures_refuses_even_the_right_pin_until_it_expires() -> None:
    book = AttendantBook((attendant("A1", "1111"),), LockoutPolicy(max_failures=3, lock_seconds=60))
    for now in (0, 1):
        with pytest.raises(PinRejected):
            book.authenticate("0000", now=now)
    with pytest.raises(LockedOut):
        book.authenticate("0000", now=2)
    with pytest.raises(LockedOut) as locked:
        book.authenticate("1111", now=30)
    assert locked.value.seconds_left == pytest.approx(32)
    assert book.locked_for(30) == pytest.approx(32)
    assert book.authenticate("1111", now=62).attendant_id == "A1"
    assert book.locked_for(62) == 0


def test_roles_grant_what_the_panel_offers() -> None:
    clerk, supervisor = attendant("A1", "1111"), attendant("S1", "2222", Role.SUPERVISOR)
    tech = attendant("T1", "3333", Role.TECHNICIAN)
    assert clerk.may(Permission.APPROVE_AGE)
    assert not clerk.may(Permission.REFUND)
    assert supervisor.may(Permission.REFUND)
    assert tech.may(Permission.DEVICE_HEALTH)
    assert not tech.may(Permission.APPROVE_AGE)
    with pytest.raises(NotPermitted, match="T1 \\(technician\\) may not approve_age"):
        tech.require(Permission.APPROVE_AGE)


def test_add_refuses_a_pin_already_in_use() -> None:
    book = AttendantBook((attendant("A1", "1111"),))
    with pytest.raises(AttendantError, match="A2: PIN already in use"):
        book.add(attendant("A2", "1111"), "1111")
    book.add(attendant("A2", "2222"), "2222")
    assert [a.attendant_id for a in book.attendants] == ["A1", "A2"]


def test_attendants_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "attendants.toml"
    entries = [("A001", "王芳", Role.ATTENDANT, "1234"), ("S001", "Li", Role.SUPERVISOR, "2580")]
    path.write_text(attendants_toml(entries, LockoutPolicy(4, 120)), "utf-8")
    assert "1234" not in path.read_text("utf-8").replace("scrypt$16384", "")
    book = load_attendants(path)
    assert book.policy == LockoutPolicy(4, 120.0)
    assert [(a.attendant_id, a.name, a.role) for a in book.attendants] == [
        ("A001", "王芳", Role.ATTENDANT),
        ("S001", "Li", Role.SUPERVISOR),
    ]
    assert book.authenticate("2580", now=0).attendant_id == "S001"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[shop]\n", "unknown section"),
        ("[lockout]\nmax_failures = 0\n", "max_failures"),
        ("[lockout]\nwait = 3\n", "unknown key"),
        ('[[attendant]]\nid = "A"\nname = "x"\nrole = "boss"\npin_scrypt = "x"\n', "role 'boss'"),
        ('[[attendant]]\nid = "A"\nname = "x"\nrole = "attendant"\n', "pin_scrypt must be"),
        ('[[attendant]]\nid = "A"\nname = "x"\nrole = "attendant"\npin = "1234"\n', "key.*pin"),
        ("[[attendant\n", "not valid TOML"),
    ],
)
def test_bad_attendant_files_name_file_and_problem(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "attendants.toml"
    path.write_text(body, "utf-8")
    with pytest.raises(AttendantError, match=message) as err:
        load_attendants(path)
    assert str(path) in str(err.value)


def test_missing_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(AttendantError, match=r"nope\.toml: cannot read"):
        load_attendants(tmp_path / "nope.toml")


def test_demo_seed_writes_once_and_loads(tmp_path: Path) -> None:
    path = seed_demo_attendants(tmp_path / "attendants.toml")
    first = path.read_text("utf-8")
    seed_demo_attendants(path)
    assert path.read_text("utf-8") == first
    assert load_attendants(path).authenticate("1234", now=0).role is Role.ATTENDANT


class FakeWall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def shared_book(path: Path, wall: FakeWall) -> AttendantBook:
    policy = LockoutPolicy(max_failures=3, lock_seconds=60)
    return AttendantBook((attendant("A1", "1234"),), policy, SharedLockout(path, wall))


def test_wrong_pins_count_across_processes_and_restarts(tmp_path: Path) -> None:
    wall = FakeWall()
    state = tmp_path / "pin-lockout.json"
    kiosk, cli = shared_book(state, wall), shared_book(state, wall)  # two processes
    with pytest.raises(PinRejected):
        kiosk.authenticate("0000", now=10.0)
    with pytest.raises(PinRejected) as second:
        cli.authenticate("0000", now=500.0)  # another clock entirely
    assert second.value.remaining == 1
    with pytest.raises(LockedOut):
        kiosk.authenticate("0000", now=11.0)
    restarted = shared_book(state, wall)  # after a reboot: monotonic clock starts over
    wall.now += 30
    with pytest.raises(LockedOut) as locked:
        restarted.authenticate("1234", now=0.0)
    assert locked.value.seconds_left == pytest.approx(30)
    wall.now += 31
    assert restarted.authenticate("1234", now=31.0).attendant_id == "A1"
    assert cli.authenticate("1234", now=900.0).attendant_id == "A1"


def test_a_damaged_lockout_file_locks_the_pad_rather_than_unlocking_it(tmp_path: Path) -> None:
    state = tmp_path / "pin-lockout.json"
    state.write_text("{not json", encoding="utf-8")
    wall = FakeWall()
    book = shared_book(state, wall)
    with pytest.raises(LockedOut):
        book.authenticate("1234", now=0.0)
    wall.now += 61
    assert book.authenticate("1234", now=61.0).attendant_id == "A1"  # and it heals

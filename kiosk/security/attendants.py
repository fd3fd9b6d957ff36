"""Attendant PINs (SPEC section 6): hashed with scrypt, checked with lock-out, roles.

The kiosk's local attendant list is a TOML file (`attendants.toml` next to the kiosk's
data; head office will push it later). PINs are never stored in clear: each entry
holds `pin_scrypt = "scrypt$n$r$p$salt$hash"` made by `hash_pin`. The shopper-facing
PIN pad asks for a PIN only, so PINs must be unique per kiosk; `AttendantBook.add`
refuses a PIN already in use, and loading keeps the first entry a PIN matches.

Lock-out is per kiosk PIN pad, not per attendant (a PIN pad login does not say who is
trying): after `max_failures` wrong PINs in a row the pad refuses every PIN, right or
wrong, for `lock_seconds`. Time is passed in (a monotonic clock) so tests need no
sleeping.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.security.lockout_state import SharedLockout

log = logging.getLogger(__name__)

# scrypt cost: n=2**14, r=8 takes 16 MiB and ~50 ms per check on a Raspberry Pi 4 class
# CPU; enough to make an offline guess of a 4-6 digit PIN cost real time per try.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 8


class AttendantError(KioskError):
    """The attendant list is invalid, or a PIN was refused."""


class PinRejected(AttendantError):
    """No attendant has this PIN."""

    def __init__(self, failures: int, remaining: int) -> None:
        super().__init__(f"wrong attendant PIN ({failures} in a row, {remaining} left)")
        self.failures = failures
        self.remaining = remaining


class LockedOut(AttendantError):
    """Too many wrong PINs: the PIN pad is locked for `seconds_left`."""

    def __init__(self, seconds_left: float) -> None:
        super().__init__(f"attendant PIN pad locked for {seconds_left:.0f} s after wrong PINs")
        self.seconds_left = seconds_left


class NotPermitted(AttendantError):
    """The attendant's role may not do this."""


class Role(enum.Enum):
    ATTENDANT = "attendant"
    SUPERVISOR = "supervisor"
    TECHNICIAN = "technician"


class Permission(enum.Enum):
    APPROVE_AGE = "approve_age"
    VOID_LINE = "void_line"
    CANCEL_BASKET = "cancel_basket"
    REPRINT = "reprint"
    REFUND = "refund"
    OPEN_CLOSE_LANE = "open_close_lane"
    DEVICE_HEALTH = "device_health"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ATTENDANT: frozenset(
        {
            Permission.APPROVE_AGE,
            Permission.VOID_LINE,
            Permission.CANCEL_BASKET,
            Permission.REPRINT,
            Permission.DEVICE_HEALTH,
        }
    ),
    Role.SUPERVISOR: frozenset(Permission),
    Role.TECHNICIAN: frozenset(
        {Permission.REPRINT, Permission.OPEN_CLOSE_LANE, Permission.DEVICE_HEALTH}
    ),
}


def may(role: Role, permission: Permission) -> bool:
    """Whether `role` holds `permission`."""
    return permission in _GRANTS[role]


def _check_pin_text(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS):
        raise AttendantError(f"a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")


def hash_pin(
    pin: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
) -> str:
    """The storable form of `pin`: `scrypt$n$r$p$<salt hex>$<key hex>` (random salt)."""
    _check_pin_text(pin)
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    key = _derive(pin, salt, n, r, p)
    return f"scrypt${n}${r}${p}${salt.hex()}${key.hex()}"


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    maxmem = 2 * 128 * r * n + 2**20  # scrypt needs 128*r*n bytes; leave headroom
    return hashlib.scrypt(
        pin.encode("ascii"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=_KEY_BYTES
    )


@dataclass(frozen=True, slots=True)
class PinHash:
    """A parsed `hash_pin` string."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    @classmethod
    def parse(cls, text: str, where: str) -> PinHash:
        parts = text.split("$")
        try:
            if len(parts) != 6 or parts[0] != "scrypt":
                raise ValueError("expected scrypt$n$r$p$salt$hash")
            n, r, p = (int(x) for x in parts[1:4])
            salt, key = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
            if n < 2 or n & (n - 1) or r < 1 or p < 1 or not salt or len(key) != _KEY_BYTES:
                raise ValueError("cost parameters, salt or key length out of range")
        except ValueError as exc:
            raise AttendantError(f"{where}: pin_scrypt is not a PIN hash: {exc}") from None
        return cls(n, r, p, salt, key)

    def matches(self, pin: str) -> bool:
        if not (pin.isascii() and pin.isdigit()):
            return False
        candidate = _derive(pin, self.salt, self.n, self.r, self.p)
        return hmac.compare_digest(candidate, self.key)


@dataclass(frozen=True, slots=True)
class Attendant:
    attendant_id: str
    name: str
    role: Role
    pin: PinHash

    def may(self, permission: Permission) -> bool:
        return may(self.role, permission)

    def require(self, permission: Permission) -> None:
        """Raise NotPermitted unless this attendant's role holds `permission`."""
        if not self.may(permission):
            raise NotPermitted(
                f"attendant {self.attendant_id} ({self.role.value}) may not {permission.value}"
            )


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_seconds: float = 300.0


class AttendantBook:
    """The attendants of one kiosk and its PIN pad's lock-out. Thread-safe."""

    def __init__(
        self,
        attendants: tuple[Attendant, ...] = (),
        policy: LockoutPolicy | None = None,
        shared: SharedLockout | None = None,
    ) -> None:
        self.attendants = attendants
        self.policy = policy or LockoutPolicy()
        self.shared = shared  # the count shared with other processes and restarts
        self._lock = threading.Lock()
        self._failures = 0
        self._locked_until: float | None = None

    def add(self, attendant: Attendant, pin: str) -> None:
        """Add an attendant, refusing a PIN another attendant already has."""
        if any(a.pin.matches(pin) for a in self.attendants):
            raise AttendantError(f"attendant {attendant.attendant_id}: PIN already in use")
        self.attendants = (*self.attendants, attendant)

    def authenticate(self, pin: str, now: float) -> Attendant:
        """The attendant whose PIN this is; raises PinRejected or LockedOut.

        `now` is a monotonic clock reading in seconds. A success resets the failure count.
        """
        with self._lock:
            if self.shared is None:
                return self._check(pin, now)
            with self.shared.hold(now) as count:
                self._failures, self._locked_until = count.failures, count.locked_until
                try:
                    return self._check(pin, now)
                finally:
                    count.failures, count.locked_until = self._failures, self._locked_until

    def _check(self, pin: str, now: float) -> Attendant:
        if self._locked_until is not None:
            if now < self._locked_until:
                raise LockedOut(self._locked_until - now)
            self._locked_until = None
            self._failures = 0
        for attendant in self.attendants:
            if attendant.pin.matches(pin):
                self._failures = 0
                log.info("attendant PIN accepted", extra={"attendant": attendant.attendant_id})
                return attendant
        self._failures += 1
        remaining = self.policy.max_failures - self._failures
        log.warning("attendant PIN rejected", extra={"failures": self._failures})
        if remaining <= 0:
            self._locked_until = now + self.policy.lock_seconds
            raise LockedOut(self.policy.lock_seconds)
        raise PinRejected(self._failures, remaining)

    def locked_for(self, now: float) -> float:
        """Seconds the PIN pad stays locked (0 when it is not)."""
        with self._lock:
            if self._locked_until is None:
                return 0.0
            return max(0.0, self._locked_until - now)


_ATTENDANT_KEYS = {"id", "name", "role", "pin_scrypt"}
_LOCKOUT_KEYS = {"max_failures", "lock_seconds"}


def load_attendants(path: Path, lockout_state: Path | None = None) -> AttendantBook:
    """Read an attendants file; every key is checked and an error names file and entry.
    `lockout_state`: where the PIN pad's failure count is shared with other processes.

    ```toml
    [lockout]
    max_failures = 5
    lock_seconds = 300
    [[attendant]]
    id = "A001"
    name = "王芳"
    role = "attendant"          # attendant | supervisor | technician
    pin_scrypt = "scrypt$16384$8$1$…$…"
    ```
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AttendantError(f"{path}: cannot read the attendant list: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AttendantError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - {"lockout", "attendant"})
    if unknown:
        raise AttendantError(f"{path}: unknown section(s): {', '.join(unknown)}")
    policy = _policy(path, raw.get("lockout", {}))
    entries = raw.get("attendant", [])
    if not isinstance(entries, list):
        raise AttendantError(f"{path}: write attendants as [[attendant]] tables")
    attendants: list[Attendant] = []
    for index, entry in enumerate(entries):
        where = f"{path}: attendant[{index}]"
        if not isinstance(entry, dict):
            raise AttendantError(f"{where}: expected a table")
        unknown = sorted(set(entry) - _ATTENDANT_KEYS)
        if unknown:
            raise AttendantError(f"{where}: unknown key(s): {', '.join(unknown)}")
        values = {}
        for key in ("id", "name", "role", "pin_scrypt"):
            value = entry.get(key)
            if not isinstance(value, str) or not value:
                raise AttendantError(f"{where}: {key} must be a non-empty string")
            values[key] = value
        try:
            role = Role(values["role"])
        except ValueError:
            choices = ", ".join(r.value for r in Role)
            raise AttendantError(
                f"{where}: role {values['role']!r} is not one of {choices}"
            ) from None
        if any(a.attendant_id == values["id"] for a in attendants):
            raise AttendantError(f"{where}: id {values['id']!r} appears twice")
        pin = PinHash.parse(values["pin_scrypt"], f"{where} ({values['id']})")
        attendants.append(Attendant(values["id"], values["name"], role, pin))
    shared = None if lockout_state is None else SharedLockout(lockout_state)
    return AttendantBook(tuple(attendants), policy, shared)


def _policy(path: Path, table: object) -> LockoutPolicy:
    if not isinstance(table, dict):
        raise AttendantError(f"{path}: [lockout] must be a table")
    unknown = sorted(set(table) - _LOCKOUT_KEYS)
    if unknown:
        raise AttendantError(f"{path}: [lockout] unknown key(s): {', '.join(unknown)}")
    failures = table.get("max_failures", 5)
    seconds = table.get("lock_seconds", 300)
    if not isinstance(failures, int) or not 1 <= failures <= 20:
        raise AttendantError(f"{path}: [lockout] max_failures must be a whole number 1..20")
    if not isinstance(seconds, int) or not 10 <= seconds <= 86_400:
        raise AttendantError(f"{path}: [lockout] lock_seconds must be a whole number 10..86400")
    return LockoutPolicy(failures, float(seconds))


def attendants_toml(entries: list[tuple[str, str, Role, str]], policy: LockoutPolicy) -> str:
    """An attendants file for `(id, name, role, pin)` entries, PINs hashed here."""
    out = [
        "# Attendant PINs for this kiosk, scrypt-hashed (kiosk.security.attendants).",
        "[lockout]",
        f"max_failures = {policy.max_failures}",
        f"lock_seconds = {int(policy.lock_seconds)}",
    ]
    for attendant_id, name, role, pin in entries:
        out += [
            "",
            "[[attendant]]",
            f'id = "{attendant_id}"',
            f'name = "{name}"',
            f'role = "{role.value}"',
            f'pin_scrypt = "{hash_pin(pin)}"',
        ]
    return "\n".join(out) + "\n"


# The demo store's attendants (`kiosk run --simulate`, `kiosk demo`): published PINs,
# for trying the kiosk only. A store's list comes from its own config.
DEMO_ATTENDANTS: tuple[tuple[str, str, Role, str], ...] = (
    ("A001", "王芳 Wang Fang", Role.ATTENDANT, "1234"),
    ("S001", "李强 Li Qiang", Role.SUPERVISOR, "2580"),
    ("T001", "Technician", Role.TECHNICIAN, "9753"),
)


def seed_demo_attendants(path: Path) -> Path:
    """Write the demo attendants file at `path` unless one exists; return `path`."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(attendants_toml(list(DEMO_ATTENDANTS), LockoutPolicy()), "utf-8")
        os.replace(tmp, path)
    return path

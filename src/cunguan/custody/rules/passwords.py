"""Transaction passwords (交易密码): argon2id hashes and lock-out after repeated failures."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cunguan.core import limits
from cunguan.core.errors import RuleError
from cunguan.custody.rules.refusals import Refusal

#: OWASP's argon2id minimum: 19 MiB of memory, 2 passes.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
LOCK_DEFAULT = timedelta(hours=3)
_PIN_LENGTH = 6

_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB,
                         parallelism=ARGON2_PARALLELISM)


class PasswordError(RuleError):
    """A password refused or locked."""


def hash_password(password: str) -> str:
    if len(password) != _PIN_LENGTH or not (password.isascii() and password.isdigit()):
        raise PasswordError(Refusal.PASSWORD_INVALID, "a transaction password is 6 digits")
    if len(set(password)) == 1 or password in "0123456789" or password in "9876543210":
        raise PasswordError(Refusal.PASSWORD_TOO_SIMPLE, "no repeated or sequential digits")
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one password check and the counter state to store."""

    ok: bool
    failed_attempts: int
    locked_until: datetime | None


def check_attempt(password_hash: str, password: str, *, failed_attempts: int,
                  locked_until: datetime | None, now: datetime,
                  lock_for: timedelta = LOCK_DEFAULT) -> Attempt:
    """One check: a locked password refuses even the right digits; the 5th failure locks."""
    if locked_until is not None and now < locked_until:
        raise PasswordError(Refusal.PASSWORD_LOCKED, f"locked until {locked_until.isoformat()}")
    if password_matches(password_hash, password):
        return Attempt(True, 0, None)
    failed = failed_attempts + 1
    if failed >= limits.failed_password_attempts_max:
        return Attempt(False, 0, now + lock_for)
    return Attempt(False, failed, None)

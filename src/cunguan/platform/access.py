"""Who is calling: platform and operator credentials, signature checks, nonce replay refusal.

A platform's credential carries its tenant; every platform request acts inside that tenant
only, so no id a platform sends can reach another platform's rows. Operators (the bank's own
staff systems) hold credentials with no tenant and name the platform they act on.
"""

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cunguan.core import limits, signing
from cunguan.core.clock import Clock, system_clock
from cunguan.core.errors import CunguanError, invariant, present
from cunguan.core.fields import FieldInvalid
from cunguan.db.connection import Connection, Engine, read_connection
from cunguan.platform.store import credentials as credential_store
from cunguan.platform.store import nonces as nonce_store
from cunguan.platform.store.platforms import platform_exists

#: Who may hold a key: a platform (its tenant), a bank operator (none), and a clearing
#: participant (its CNAPS bank code in the tenant column; the clearing routes check it).
ROLES = ("platform", "operator", "participant")
_KEY_PREFIX = {"platform": "pk", "operator": "op", "participant": "bk"}
#: The one message of every ``signature_invalid``: unknown key, revoked key, wrong signature.
SIGNATURE_INVALID = "the key or the signature is not valid for this request"
#: What an unknown key's request is checked against (never a real key: no secret matches a
#: random one, and the SM2 key is the curve's generator, whose private key is 1).
_STAND_IN_KEYS = {signing.HMAC_SHA256: secrets.token_urlsafe(32),
                  signing.SM2_SM3: signing.SM2_STAND_IN_PUBLIC_KEY}


def _usable_sm2_key(stored: str | None) -> str | None:
    """A row's SM2 key as ``issue`` would take it now, or None: a row written before keys
    were checked may hold one off the curve, or the generator, whose private key is 1."""
    try:
        return None if stored is None else signing.sm2_public_key(stored)
    except FieldInvalid:
        return None


class AccessError(CunguanError):
    """A request refused before it reaches a command (listed in docs/ERRORS.md)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller of one request."""

    key_id: str
    role: str
    tenant_id: str | None
    secret: str


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    key_id: str
    secret: str
    role: str
    tenant_id: str | None


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What arrived: the signature headers (possibly missing) and the signed parts."""

    key_id: str | None
    algorithm: str | None
    timestamp: str | None
    nonce: str | None
    signature: str | None
    method: str
    target: str
    body: bytes


def nonce_of(request: SignedRequest) -> tuple[str, str]:
    """(key id, nonce) of a request that passed ``verify`` (so it carries both)."""
    invariant(bool(request.key_id and request.nonce), "a verified request has both")
    return present(request.key_id, "verified"), present(request.nonce, "verified")


def _each_new(nonces: Sequence[tuple[str, str]], fresh: set[tuple[str, str]]) -> list[bool]:
    """For each nonce, whether it was new: the first of twins only."""
    new = []
    for pair in nonces:
        new.append(pair in fresh)
        fresh.discard(pair)
    return new


def replayed() -> AccessError:
    return AccessError("signature_replayed", "this nonce was used already")


class AccessService:
    def __init__(self, engine: Engine, *, clock: Clock = system_clock,
                 credential_cache_ms: int = limits.credential_cache_ms) -> None:
        self.engine = engine
        self.clock = clock
        self.credential_cache_ms = credential_cache_ms
        self._bank_sm2: tuple[str, str] | None = None
        #: key id → (when read, monotonic ms; the credential's row or None if unknown)
        self._credentials_read: dict[str, tuple[float, Any]] = {}

    # -- credentials -----------------------------------------------------------------------
    def issue(self, role: str, tenant_id: str | None = None, *,
              sm2_public_key: str | None = None) -> IssuedCredential:
        """A new credential; its secret is shown once, here."""
        if role not in ROLES or (role == "operator") != (tenant_id is None):
            raise AccessError("field_invalid", "a platform key names its platform, a "
                                               "participant key its bank; an operator key "
                                               "names none")
        if sm2_public_key is not None:
            sm2_public_key = signing.sm2_public_key(sm2_public_key)
        key_id = f"{_KEY_PREFIX[role]}_{secrets.token_hex(8)}"
        secret = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            if role == "platform" and not platform_exists(conn, tenant_id or ""):
                raise AccessError("tenant_not_found", f"no platform {tenant_id}")
            credential_store.insert_credential(
                conn, key_id=key_id, tenant_id=tenant_id, role=role, secret=secret,
                sm2_public_key=sm2_public_key, created_at=self.clock())
        return IssuedCredential(key_id, secret, role, tenant_id)

    def revoke(self, key_id: str) -> bool:
        """Revoke an active key at once; False when no active key has this id (unknown, or
        revoked already)."""
        with self.engine.begin() as conn:
            changed = credential_store.revoke(conn, key_id)
        self._credentials_read.pop(key_id, None)
        return bool(changed)

    def platform_secret(self, tenant_id: str) -> tuple[str, str] | None:
        """(key id, secret) of the platform's newest active credential: callbacks and page
        results are signed with it."""
        with read_connection(self.engine) as conn:
            return credential_store.newest_active_secret(conn, tenant_id)

    def bank_sm2_key(self) -> tuple[str, str]:
        """The bank's SM2 (private, public) key pair, made on first use; it never changes,
        so it is read once per process (every SM2 answer is signed with it)."""
        if self._bank_sm2 is None:
            self._bank_sm2 = self._load_bank_sm2_key()
        return self._bank_sm2

    def _load_bank_sm2_key(self) -> tuple[str, str]:
        with read_connection(self.engine) as conn:
            pair = credential_store.bank_key(conn, signing.SM2_SM3)
        if pair is not None:
            return pair
        private, public = signing.sm2_keypair()
        if not credential_store.insert_bank_key(self.engine, signing.SM2_SM3, private, public,
                                                self.clock()):
            return self._load_bank_sm2_key()   # another worker made it first
        return private, public

    # -- checking a request ----------------------------------------------------------------
    def authenticate(self, request: SignedRequest) -> Principal:
        """The caller, once the signature, the clock skew and the nonce all pass."""
        outcome = self.authenticate_many([request])[0]
        if isinstance(outcome, AccessError):
            raise outcome
        return outcome

    def authenticate_many(self, requests: Sequence[SignedRequest]
                          ) -> list[Principal | AccessError]:
        """``authenticate`` for many requests at once (the server coalesces concurrent
        ones): their keys read with one statement and their nonces remembered with one, in
        one transaction; each request answered with its caller or its refusal."""
        now = self.clock()
        outcomes: list[Principal | AccessError] = []
        keys = self._credentials({r.key_id for r in requests if r.key_id})
        for request in requests:
            try:
                outcomes.append(self._verify(request, keys.get(request.key_id or ""), now))
            except AccessError as exc:
                outcomes.append(exc)
        passed = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, Principal)]
        new = self.remember_nonces([nonce_of(requests[i]) for i in passed])
        for index, is_new in zip(passed, new, strict=True):
            if not is_new:
                outcomes[index] = replayed()
        return outcomes

    def _credentials(self, key_ids: set[str]) -> dict[str, Any]:
        """The credentials' rows, read at most ``credential_cache_ms`` ago; a malformed key
        id is never looked up (``_verify`` refuses it first)."""
        now_ms = time.monotonic() * 1000
        found, stale = {}, set()
        for key_id in filter(signing.key_id_well_formed, key_ids):
            read = self._credentials_read.get(key_id)
            if read is None or now_ms - read[0] > self.credential_cache_ms:
                stale.add(key_id)
            elif read[1] is not None:
                found[key_id] = read[1]
        if stale:
            with read_connection(self.engine) as conn:
                rows = credential_store.credential_rows(conn, stale)
            for key_id in stale:
                self._credentials_read[key_id] = (now_ms, rows.get(key_id))
            found.update(rows)
        return found

    def read_credential(self, key_id: str) -> None:
        """Read ``key_id``'s credential (or its absence) into the cache, unless a fresh read
        is at hand."""
        self._credentials({key_id})

    def credential_known(self, key_id: str | None) -> bool:
        """Whether ``verify`` can check a request of ``key_id`` without reading the database
        (a fresh read of the credential, or of its absence, is at hand)."""
        read = self._credentials_read.get(key_id or "")
        return read is not None and (time.monotonic() * 1000 - read[0]
                                     <= self.credential_cache_ms)

    def verify(self, request: SignedRequest, *, from_cache: bool = False) -> Principal:
        """The caller, if the signature and the clock skew pass; the nonce is left for
        ``remember_nonces`` to record in the same thread as the command it carries.
        ``from_cache``: with the credential as last read, never reading the database (the
        event loop's check, once ``credential_known``)."""
        key_id = request.key_id or ""
        if from_cache:
            row = self._credentials_read.get(key_id, (0.0, None))[1]
        else:
            row = self._credentials({key_id} if key_id else set()).get(key_id)
        return self._verify(request, row, self.clock())

    def remember_nonces(self, nonces: Sequence[tuple[str, str]]) -> list[bool]:
        """Record each (key id, nonce); for each, whether it was new (the second of twins, or
        a nonce recorded before, is a replay)."""
        fresh = self._remember_nonces(list(nonces), self.clock()) if nonces else set()
        return _each_new(nonces, fresh)

    def remember_nonces_in(self, conn: Connection, nonces: Sequence[tuple[str, str]]
                           ) -> list[bool]:
        """``remember_nonces`` in the caller's DB transaction (a set-based command's): the
        nonces are recorded if and only if the command commits."""
        fresh = (nonce_store.record_new_in(conn, list(nonces), self.clock()) if nonces
                 else set())
        return _each_new(nonces, fresh)

    @staticmethod
    def _verify(request: SignedRequest, row: Any, now: datetime) -> Principal:
        if not (request.key_id and request.algorithm and request.timestamp and request.nonce
                and request.signature):
            raise AccessError("signature_missing", "the request carries no complete signature")
        try:   # malformed or stale before unknown: a request refused anyway needs no key
            signing.check_form(request.key_id, request.algorithm, request.signature)
            signing.check_fresh(request.timestamp, request.nonce, int(now.timestamp()))
        except signing.SignatureError as exc:
            raise AccessError(exc.code, exc.message) from exc
        live = row is not None and row.status == "active"
        key = (row.secret if request.algorithm == signing.HMAC_SHA256 else
               _usable_sm2_key(row.sm2_public_key)) if live else None
        # An unknown or revoked key is checked against a stand-in key, so that its refusal
        # takes the same path, and says the same, as a wrong signature: neither the message
        # nor the time taken tells a live key id from a dead one.
        matches = signing.verify_signed(
            request.algorithm, key or _STAND_IN_KEYS[request.algorithm], request.method,
            request.target, request.timestamp, request.nonce, request.body, request.signature,
            int(now.timestamp()))
        if key is None or not matches:
            raise AccessError("signature_invalid", SIGNATURE_INVALID)
        return Principal(request.key_id, row.role, row.tenant_id, row.secret)

    def _remember_nonces(self, nonces: list[tuple[str, str]], now: datetime
                         ) -> set[tuple[str, str]]:
        """Record the nonces; the ones that were new (a nonce seen before is a replay)."""
        return nonce_store.record_new(self.engine, nonces, now)

    def forget_old_nonces(self) -> int:
        """Nonces older than twice the allowed skew can never be replayed: their timestamps
        would be refused first."""
        horizon = self.clock() - timedelta(seconds=2 * limits.signed_clock_skew_max_s)
        with self.engine.begin() as conn:
            return nonce_store.forget_before(conn, horizon)

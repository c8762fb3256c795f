"""Who is calling: platform and operator credentials, signature checks, nonce replay refusal.

A platform's credential carries its tenant; every platform request acts inside that tenant
only, so no id a platform sends can reach another platform's rows. Operators (the bank's own
staff systems) hold credentials with no tenant and name the platform they act on.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from cunguan.adapters.store.api_tables import api_bank_keys, api_credentials, api_nonces
from cunguan.adapters.store.custody_tables import custody_platforms
from cunguan.adapters.store.db import read_connection
from cunguan.core import signing
from cunguan.core.clock import Clock, system_clock
from cunguan.core.errors import CunguanError

ROLES = ("platform", "operator")


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


class AccessService:
    def __init__(self, engine: Engine, *, clock: Clock = system_clock) -> None:
        self.engine = engine
        self.clock = clock
        self._bank_sm2: tuple[str, str] | None = None

    # -- credentials -----------------------------------------------------------------------
    def issue(self, role: str, tenant_id: str | None = None, *,
              sm2_public_key: str | None = None) -> IssuedCredential:
        """A new credential; its secret is shown once, here."""
        if role not in ROLES or (role == "platform") != (tenant_id is not None):
            raise AccessError("field_invalid", "a platform key names its platform; an "
                                               "operator key names none")
        key_id = f"{'op' if role == 'operator' else 'pk'}_{secrets.token_hex(8)}"
        secret = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            if tenant_id is not None and conn.execute(select(custody_platforms.c.tenant_id).where(
                    custody_platforms.c.tenant_id == tenant_id)).first() is None:
                raise AccessError("tenant_not_found", f"no platform {tenant_id}")
            conn.execute(insert(api_credentials).values(
                key_id=key_id, tenant_id=tenant_id, role=role, secret=secret,
                sm2_public_key=sm2_public_key, status="active", created_at=self.clock()))
        return IssuedCredential(key_id, secret, role, tenant_id)

    def revoke(self, key_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(api_credentials).where(api_credentials.c.key_id == key_id)
                         .values(status="revoked"))

    def platform_secret(self, tenant_id: str) -> tuple[str, str] | None:
        """(key id, secret) of the platform's newest active credential: callbacks and page
        results are signed with it."""
        c = api_credentials.c
        with read_connection(self.engine) as conn:
            row = conn.execute(select(c.key_id, c.secret).where(
                c.tenant_id == tenant_id, c.status == "active",
            ).order_by(c.created_at.desc(), c.key_id).limit(1)).first()
        return None if row is None else (row[0], row[1])

    def bank_sm2_key(self) -> tuple[str, str]:
        """The bank's SM2 (private, public) key pair, made on first use; it never changes,
        so it is read once per process (every SM2 answer is signed with it)."""
        if self._bank_sm2 is None:
            self._bank_sm2 = self._load_bank_sm2_key()
        return self._bank_sm2

    def _load_bank_sm2_key(self) -> tuple[str, str]:
        k = api_bank_keys.c
        with read_connection(self.engine) as conn:
            row = conn.execute(select(k.private_key, k.public_key).where(
                k.algorithm == signing.SM2_SM3)).first()
        if row is not None:
            return row[0], row[1]
        private, public = signing.sm2_keypair()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(api_bank_keys).values(
                    algorithm=signing.SM2_SM3, private_key=private, public_key=public,
                    created_at=self.clock()))
        except IntegrityError:   # another worker made it first
            return self._load_bank_sm2_key()
        return private, public

    # -- checking a request ----------------------------------------------------------------
    def authenticate(self, request: SignedRequest) -> Principal:
        """The caller, once the signature, the clock skew and the nonce all pass."""
        if not (request.key_id and request.algorithm and request.timestamp and request.nonce
                and request.signature):
            raise AccessError("signature_missing", "the request carries no complete signature")
        now = self.clock()
        if request.algorithm not in signing.ALGORITHMS:
            raise AccessError("signature_algorithm_unknown", request.algorithm)
        try:   # stale before unknown: no key lookup for a request refused anyway
            signing.check_fresh(request.timestamp, request.nonce, int(now.timestamp()))
        except signing.SignatureError as exc:
            raise AccessError(exc.code, exc.message) from exc
        c = api_credentials.c
        with read_connection(self.engine) as conn:
            row = conn.execute(select(c.role, c.tenant_id, c.secret, c.sm2_public_key,
                                      c.status).where(c.key_id == request.key_id)).first()
        if row is None or row.status != "active":
            raise AccessError("signature_invalid", "unknown or revoked key")
        key = row.secret if request.algorithm == signing.HMAC_SHA256 else row.sm2_public_key
        if key is None or not signing.verify_signed(
                request.algorithm, key, request.method, request.target, request.timestamp,
                request.nonce, request.body, request.signature, int(now.timestamp())):
            raise AccessError("signature_invalid", "the signature does not match the request")
        self._remember_nonce(request.key_id, request.nonce, now)
        return Principal(request.key_id, row.role, row.tenant_id, row.secret)

    def _remember_nonce(self, key_id: str, nonce: str, now: datetime) -> None:
        try:   # no retry: a unique violation here is the answer, not a race to re-run
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # A nonce lost in a crash reopens replay only of requests signed in the
                    # 300 s before it, and commands are idempotent by serial no. anyway: not
                    # worth an fsync on every request.
                    conn.execute(text("SET LOCAL synchronous_commit = off"))
                conn.execute(insert(api_nonces).values(key_id=key_id, nonce=nonce,
                                                       seen_at=now))
        except IntegrityError as exc:
            raise AccessError("signature_replayed", "this nonce was used already") from exc

    def forget_old_nonces(self) -> int:
        """Nonces older than twice the allowed skew can never be replayed: their timestamps
        would be refused first."""
        horizon = self.clock() - timedelta(seconds=2 * signing.CLOCK_SKEW_MAX_S)
        with self.engine.begin() as conn:
            return conn.execute(delete(api_nonces).where(api_nonces.c.seen_at < horizon)).rowcount

"""A platform's daily reconciliation file (R-C22): made from a closed day's ledger, recorded
once per platform and day with its sha256, and issued again on request as the same bytes
under the same signature (HMAC-SHA256 with the platform's newest key, as callbacks are
signed). An open day has no file: ``day_not_closed``.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from cunguan.core import fields, limits, signing
from cunguan.core.clock import Clock
from cunguan.core.errors import invariant
from cunguan.db.connection import Connection, Engine
from cunguan.db.unit_of_work import in_transaction
from cunguan.reconcile.rules import platform_files as rules
from cunguan.reconcile.rules.platform_files import ControlTotals
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.store import platform_files as store

#: A platform's signing key as the platform's access service gives it: (key id, secret).
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class PlatformFile:
    """One platform's file of one day, with what proves it the bank's."""

    tenant_id: str
    business_date: date
    content: bytes
    sha256: str
    totals: ControlTotals
    generated_at: datetime
    nonce: str
    key_id: str
    signature: str

    @property
    def timestamp(self) -> int:
        """The signature's time: when the file was first made (Unix seconds)."""
        return int(self.generated_at.timestamp())

    def headers(self) -> dict[str, str]:
        """The file's signature as HTTP headers (beside the response's own signature)."""
        return {rules.HEADER_FILE_KEY: self.key_id,
                rules.HEADER_FILE_ALGORITHM: signing.HMAC_SHA256,
                rules.HEADER_FILE_TIMESTAMP: str(self.timestamp),
                rules.HEADER_FILE_NONCE: self.nonce,
                rules.HEADER_FILE_SIGNATURE: self.signature,
                rules.HEADER_FILE_SHA256: self.sha256}


def platform_file(engine: Engine, clock: Clock, tenant_id: object, business_date: object,
                  key: Key | None) -> PlatformFile:
    """The platform's reconciliation file of the closed day ``business_date`` (a date, or
    ``YYYY-MM-DD``), made on first request and recorded; ``key``: the platform's newest
    signing key (``AccessService.platform_secret``), None when it has none."""
    tenant = fields.identifier(tenant_id, "tenant_id", limits.tenant_id_length_max)
    day = (fields.iso_day(business_date, "business_date") if isinstance(business_date, str)
           else fields.day(business_date, "business_date"))
    if key is None:
        raise ReconcileError(Refusal.PLATFORM_KEY_MISSING,
                             f"platform {tenant} has no active key to sign its file with")
    made = in_transaction(engine, lambda conn: _make(conn, clock, tenant, day))
    content, sha256, totals, nonce, generated_at = made
    key_id, secret = key
    text = rules.signature_text(day, int(generated_at.timestamp()), nonce, content)
    return PlatformFile(tenant, day, content, sha256, totals, generated_at, nonce, key_id,
                        signing.sign(text, signing.HMAC_SHA256, secret))


def _make(conn: Connection, clock: Clock, tenant: str, day: date
          ) -> tuple[bytes, str, ControlTotals, str, datetime]:
    known, status = store.day_status(conn, tenant, day)
    if not known:
        raise ReconcileError(Refusal.TENANT_NOT_FOUND, f"no platform {tenant}")
    if not store.is_closed(status):
        raise ReconcileError(Refusal.DAY_NOT_CLOSED,
                             f"{day} is {status or 'not a day'} for platform {tenant}: "
                             "a file is made once the day is closed",
                             business_date=day.isoformat(), status=status or "none")
    content, totals = rules.render(tenant, day, store.day_accounts(conn, tenant, day),
                                   store.day_lines(conn, tenant, day))
    sha256 = hashlib.sha256(content).hexdigest()
    record = store.file_record(conn, tenant, day)
    if record is not None:
        invariant(record.sha256 == sha256, f"{tenant} {day}: a closed day's file changed")
        return content, sha256, totals, record.nonce, record.generated_at
    nonce, generated_at = signing.new_nonce(), clock()
    store.insert_file_record(conn, tenant, day, sha256, len(content), {
        "lines": totals.lines, "postings": totals.postings, "credit_fen": totals.credit_fen,
        "debit_fen": totals.debit_fen, "accounts": totals.accounts}, nonce, generated_at)
    return content, sha256, totals, nonce, generated_at

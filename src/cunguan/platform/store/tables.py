"""Tables of the platform API edge: credentials, seen nonces, rate limits and the bank-hosted
page sessions. (The callback outbox, which every context writes, is ``cunguan.db.outbox``.)

Credentials and the bank's own keys are looked up by key id before any tenant is known, so
they are keyed by ``key_id``; everything else leads with ``tenant_id`` like the ledger's.
"""

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from cunguan.core import limits
from cunguan.db.schema import UtcDateTime, metadata

_t = limits.tenant_id_length_max
_r = limits.request_no_length_max
_event_id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only

api_credentials = Table(
    "api_credentials", metadata,
    Column("key_id", String(64), primary_key=True),
    Column("tenant_id", String(_t)),                 # None for a bank operator
    Column("role", String(16), nullable=False),      # platform / operator
    Column("secret", String(128), nullable=False),   # the HMAC-SHA256 shared secret
    Column("sm2_public_key", String(130)),           # set when the platform signs with SM2
    Column("status", String(16), nullable=False),    # active / revoked
    Column("created_at", UtcDateTime(), nullable=False),
)

api_bank_keys = Table(
    "api_bank_keys", metadata,
    Column("algorithm", String(16), primary_key=True),
    Column("private_key", String(128), nullable=False),
    Column("public_key", String(130), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

api_nonces = Table(
    "api_nonces", metadata,
    Column("key_id", String(64), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", UtcDateTime(), nullable=False),
    Index("ix_api_nonces_seen_at", "seen_at"),
)

page_sessions = Table(
    "page_sessions", metadata,
    Column("tenant_id", String(_t), nullable=False),
    Column("token", String(64), primary_key=True),
    Column("action", String(32), nullable=False),
    Column("request_no", String(_r), nullable=False),
    Column("params", Text, nullable=False),
    Column("return_url", String(512), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("status", String(16), nullable=False),    # open / done
    Column("result", Text),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

#: Hosted-page form posts counted per client address and minute, in the database so that
#: every server process counts together (migration 0016).
api_rate_limits = Table(
    "api_rate_limits", metadata,
    Column("bucket", String(80), primary_key=True),              # e.g. pages:203.0.113.9
    Column("window_start", UtcDateTime(), primary_key=True),     # the minute counted
    Column("hits", Integer, nullable=False),
    Index("ix_api_rate_limits_window_start", "window_start"),
)

"""The outbox (R-C21): every context writes its results' events here, in the transaction that
makes the result; the platform's outbox service sequences and delivers them."""

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from cunguan.core import limits
from cunguan.db.schema import UtcDateTime, metadata

_t = limits.tenant_id_length_max
_r = limits.request_no_length_max
_event_id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only

outbox_events = Table(
    "outbox_events", metadata,
    Column("event_id", _event_id, primary_key=True, autoincrement=True),
    Column("tenant_id", String(_t), nullable=False),
    Column("seq", BigInteger, unique=True),          # the pull cursor, given in commit order
    Column("operation", String(32), nullable=False),
    Column("request_no", String(_r), nullable=False),
    Column("status", String(16), nullable=False),    # ok / rejected
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivery", String(16), nullable=False),  # pending / delivered / dead / none
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", String(256), nullable=False),
    Column("delivered_at", UtcDateTime()),
    Index("ix_outbox_events_tenant_seq", "tenant_id", "seq"),
    Index("ix_outbox_events_delivery", "delivery", "next_attempt_at"),
)

outbox_sequencer = Table(
    "outbox_sequencer", metadata,
    Column("name", String(16), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

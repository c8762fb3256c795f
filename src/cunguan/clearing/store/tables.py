"""Clearing tables (BEPS). Money lives in the ledger (one ledger tenant per clearing system:
each direct participant's settlement account, the clearing account between the two legs of a
settlement); these rows hold the system's parameters and working day, the participants with
their caps and unsettled positions, the packages and items as they go through their lives, the
sessions with their trial balances and settlement, and the events (cap warnings) raised.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)

from cunguan.core import limits
from cunguan.db.schema import UtcDateTime, metadata

_sys = limits.tenant_id_length_max
_bank = limits.clearing_bank_code_digits
_msg = limits.clearing_message_id_length_max
_item = limits.clearing_item_id_length_max
_ledger = limits.account_no_length_max
_id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only

clearing_systems = Table(
    "clearing_systems", metadata,
    #: The system's id, also its ledger tenant's id.
    Column("system_id", String(_sys), primary_key=True),
    Column("work_date", Date, nullable=False),
    #: The day's timed sessions, "HH:MM" comma-separated, ascending (R-S5).
    Column("session_times", String(limits.clearing_sessions_per_day_max * 6), nullable=False),
    Column("credit_item_max_fen", BigInteger, nullable=False),
    Column("debit_answer_days_max", Integer, nullable=False),
    Column("realtime_receipt_timeout_s", Integer, nullable=False),
    Column("cap_warning_used_pcts", String(64), nullable=False),
    Column("fee_per_item_fen", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

clearing_participants = Table(
    "clearing_participants", metadata,
    Column("system_id", String(_sys), primary_key=True),
    Column("bank_code", String(_bank), primary_key=True),
    Column("name", String(limits.display_name_length_max), nullable=False),
    Column("role", String(8), nullable=False),
    Column("clearing_bank_code", String(_bank), nullable=False),
    Column("status", String(8), nullable=False),
    #: A direct participant's settlement account in the system's ledger tenant.
    Column("settlement_account_no", String(_ledger)),
    Column("collateral_fen", BigInteger, nullable=False, server_default="0"),
    Column("haircut_bps", Integer, nullable=False, server_default="0"),
    Column("credit_line_fen", BigInteger, nullable=False, server_default="0"),
    Column("earmarked_fen", BigInteger, nullable=False, server_default="0"),
    #: The net of its netted items not yet settled (+ others owe it, − it owes, R-S3).
    Column("position_fen", BigInteger, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("role IN ('direct', 'indirect', 'npc', 'saps')",
                    name="ck_clearing_participants_role"),
    CheckConstraint("collateral_fen >= 0 AND credit_line_fen >= 0 AND earmarked_fen >= 0 "
                    "AND haircut_bps BETWEEN 0 AND 10000",
                    name="ck_clearing_participants_cap_parts"),
)

#: Funds earmarked (圈存) on a settlement account: each a ledger hold.
clearing_earmarks = Table(
    "clearing_earmarks", metadata,
    Column("system_id", String(_sys), primary_key=True),
    Column("request_no", String(limits.request_no_length_max), primary_key=True),
    Column("bank_code", String(_bank), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("hold_id", BigInteger, nullable=False),
    Column("released", Boolean, nullable=False, server_default=false()),
    Column("created_at", UtcDateTime(), nullable=False),
)

clearing_packages = Table(
    "clearing_packages", metadata,
    Column("package_no", _id, primary_key=True, autoincrement=True),
    Column("system_id", String(_sys), nullable=False),
    Column("sender_bank", String(_bank), nullable=False),
    Column("message_id", String(_msg), nullable=False),
    Column("business_type", String(16), nullable=False),
    Column("receiver_bank", String(_bank), nullable=False),
    Column("work_date", Date, nullable=False),
    Column("control_count", Integer, nullable=False),
    Column("control_sum_fen", BigInteger, nullable=False),
    #: The package's content digest: the same message id again with it is a replay.
    Column("digest", String(64), nullable=False),
    Column("is_receipt", Boolean, nullable=False, server_default=false()),
    Column("received_at", UtcDateTime(), nullable=False),
    Index("ux_clearing_packages_message", "system_id", "sender_bank", "message_id",
          unique=True),
)

clearing_items = Table(
    "clearing_items", metadata,
    #: Arrival order: items net, queue and release in it (R-S4).
    Column("arrival_seq", _id, primary_key=True, autoincrement=True),
    Column("system_id", String(_sys), nullable=False),
    Column("item_id", String(_item), nullable=False),
    Column("package_no", BigInteger, nullable=False),
    Column("item_no", Integer, nullable=False),
    Column("business_type", String(16), nullable=False),
    Column("end_to_end_id", String(_msg), nullable=False),
    Column("debtor_bank", String(_bank), nullable=False),
    Column("debtor_account", String(_ledger), nullable=False),
    Column("creditor_bank", String(_bank), nullable=False),
    Column("creditor_account", String(_ledger), nullable=False),
    Column("payer_bank", String(_bank), nullable=False),
    Column("payee_bank", String(_bank), nullable=False),
    Column("sender_bank", String(_bank), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("debit_term_days", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
    Column("netted_at", UtcDateTime()),
    #: The working day and session it netted in (−1: the session at cutover).
    Column("work_date", Date),
    Column("session_no", Integer),
    #: A return's original item.
    Column("returns_item_id", String(_item)),
    Index("ux_clearing_items_id", "system_id", "item_id", unique=True),
    Index("ix_clearing_items_state", "system_id", "state", "payer_bank"),
    Index("ix_clearing_items_session", "system_id", "work_date", "session_no"),
    Index("ix_clearing_items_package", "package_no"),
)

clearing_sessions = Table(
    "clearing_sessions", metadata,
    Column("system_id", String(_sys), primary_key=True),
    Column("work_date", Date, primary_key=True),
    Column("session_no", Integer, primary_key=True, autoincrement=False),
    Column("status", String(12), nullable=False),
    Column("net_debits_fen", BigInteger, nullable=False),
    Column("net_credits_fen", BigInteger, nullable=False),
    Column("items", Integer, nullable=False),
    Column("settles_on", Date, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("settled_at", UtcDateTime()),
    CheckConstraint("net_debits_fen = net_credits_fen", name="ck_clearing_sessions_balanced"),
)

clearing_session_positions = Table(
    "clearing_session_positions", metadata,
    Column("system_id", String(_sys), primary_key=True),
    Column("work_date", Date, primary_key=True),
    Column("session_no", Integer, primary_key=True, autoincrement=False),
    Column("bank_code", String(_bank), primary_key=True),
    Column("position_fen", BigInteger, nullable=False),
    #: Set once the position's leg settled on the ledger.
    Column("settled", Boolean, nullable=False, server_default=false()),
)

clearing_events = Table(
    "clearing_events", metadata,
    Column("event_id", _id, primary_key=True, autoincrement=True),
    Column("system_id", String(_sys), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("bank_code", String(_bank), nullable=False),
    Column("details", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_clearing_events_bank", "system_id", "bank_code", "event_id"),
)

#: A participant bank's own side of BEPS (its books are a ledger tenant of its own): each
#: outward credit item a customer sent (held on the customer's account until it nets) and each
#: inward item it took (credited to the named customer, or returned).
clearing_bank_transfers = Table(
    "clearing_bank_transfers", metadata,
    Column("transfer_no", _id, primary_key=True, autoincrement=True),
    Column("system_id", String(_sys), nullable=False),
    Column("bank_code", String(_bank), nullable=False),
    #: The bank's serial no. (outward), or the clearing item's id (inward).
    Column("serial_no", String(_item), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("customer_account", String(_ledger), nullable=False),
    Column("customer_name", String(limits.name_field_length_max), nullable=False),
    Column("counterparty_bank", String(_bank), nullable=False),
    Column("counterparty_account", String(_ledger), nullable=False),
    Column("counterparty_name", String(limits.name_field_length_max), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    #: The ledger hold on the customer's account (outward, when this bank holds it).
    Column("hold_id", BigInteger),
    #: The clearing item it went out as, or came in as.
    Column("item_id", String(_item)),
    Column("state", String(12), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("direction IN ('outward', 'inward')",
                    name="ck_clearing_bank_transfers_direction"),
    Index("ux_clearing_bank_transfers_serial", "system_id", "bank_code", "direction",
          "serial_no", unique=True),
    Index("ix_clearing_bank_transfers_state", "system_id", "bank_code", "state"),
)

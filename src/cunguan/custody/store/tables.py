"""Custody tables (资金存管). Money lives in the ledger; these rows say who, which card, which
project, which claim and which request. Keys lead with ``tenant_id`` like the ledger's."""

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table, Text, text

from cunguan.core import limits
from cunguan.db.schema import UtcDateTime, metadata

_t = limits.tenant_id_length_max
_a = limits.account_no_length_max
_r = limits.request_no_length_max

custody_platforms = Table(
    "custody_platforms", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("quick_pay_fee_rate", String(16), nullable=False),
    Column("quick_pay_fee_payer", String(16), nullable=False),
    Column("withdrawal_review", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("callback_url", String(512)),        # where signed callbacks are delivered
    Column("return_url_prefix", String(512)),   # hosted pages return only under this prefix
    #: R-A1: a card's reserved mobile must match the account's (type II/III accounts).
    Column("strict_reserved_phone", Integer, nullable=False, server_default="0"),
    #: R-C2: the custody fee (存管费): fixed a month, and an annual rate on the average daily
    #: custody balance.
    Column("custody_fee_monthly_fen", BigInteger, nullable=False, server_default="0"),
    Column("custody_fee_annual_rate", String(16), nullable=False, server_default="0"),
)

custody_users = Table(
    "custody_users", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),          # person / company
    Column("role", String(16), nullable=False),          # lender / borrower / guarantor
    Column("status", String(24), nullable=False),        # active / pending_review / …
    Column("name", String(64), nullable=False),
    Column("id_kind", String(16), nullable=False),
    Column("id_no", String(32), nullable=False),
    Column("mobile", String(16), nullable=False),
    Column("account_no", String(_a), nullable=False),
    Column("password_hash", String(128)),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", UtcDateTime()),
    Column("risk_tolerance", Integer, nullable=False),
    Column("has_bid", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ux_custody_users_person", "tenant_id", "id_kind", "id_no", unique=True),
    #: R-C4: one mobile no. per person on a platform.
    Index("ux_custody_users_mobile", "tenant_id", "mobile", unique=True),
)

custody_cards = Table(
    "custody_cards", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("card_no", String(19), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("bank_code", String(16), nullable=False),
    Column("bank_name", String(64), nullable=False),
    Column("quick_pay", Integer, nullable=False),
    Column("status", String(16), nullable=False),        # bound / unbound
    Column("bound_at", UtcDateTime(), nullable=False),
    Column("unbound_at", UtcDateTime()),
    Index("ix_custody_cards_user", "tenant_id", "user_id"),
)

custody_authorizations = Table(
    "custody_authorizations", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),        # bid / repay / withdraw
    Column("max_amount_fen", BigInteger, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),        # active / revoked
)

custody_projects = Table(
    "custody_projects", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("project_id", String(64), primary_key=True),
    Column("borrower_user_id", String(64), nullable=False),
    Column("guarantor_user_id", String(64)),
    Column("amount_fen", BigInteger, nullable=False),
    Column("annual_rate", String(16), nullable=False),
    Column("months", Integer, nullable=False),
    Column("method", String(24), nullable=False),
    Column("bid_min_fen", BigInteger, nullable=False),
    Column("bid_max_fen", BigInteger, nullable=False),
    Column("bid_step_fen", BigInteger, nullable=False),
    Column("newbie_only", Integer, nullable=False),
    Column("risk_level", Integer, nullable=False),
    Column("service_fee_rate", String(16), nullable=False),
    Column("raise_until", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("raised_fen", BigInteger, nullable=False),
    Column("lent_on", Date),
    Column("created_at", UtcDateTime(), nullable=False),
)

custody_bids = Table(
    "custody_bids", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("bid_id", String(_r), primary_key=True),      # the bid's request no.
    Column("project_id", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("red_packet_fen", BigInteger, nullable=False),
    #: 加息券: extra annual interest paid from the marketing account (R-C18).
    Column("coupon_rate", String(16), nullable=False, server_default="0"),
    Column("holding_id", String(_r)),                    # a finance-plan holding's bid
    Column("hold_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),        # frozen / lent / released
    Index("ix_custody_bids_project", "tenant_id", "project_id"),
)

custody_claims = Table(
    "custody_claims", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("claim_id", String(_r), primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("holder_user_id", String(64), nullable=False),
    Column("principal_fen", BigInteger, nullable=False),
    Column("outstanding_fen", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),        # holding / listed / closed
    # investment: an investor's share; recourse: a payer's claim on the borrower after 代偿.
    Column("kind", String(16), nullable=False, server_default="investment"),
    Column("coupon_rate", String(16), nullable=False, server_default="0"),
    #: Coupon interest still to pay (recorded at lending as the marketing account's promise).
    Column("coupon_due_fen", BigInteger, nullable=False, server_default="0"),
    #: A finance-plan holding's claim: its repayments are re-invested (stay frozen).
    Column("holding_id", String(_r)),
    Index("ix_custody_claims_project", "tenant_id", "project_id"),
    Index("ix_custody_claims_holder", "tenant_id", "holder_user_id"),
)

#: Claims listed for debt transfer (债权转让, R-C14).
custody_listings = Table(
    "custody_listings", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("listing_id", String(_r), primary_key=True),  # the listing's request no.
    Column("claim_id", String(_r), nullable=False),
    Column("seller_user_id", String(64), nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("fee_fen", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),        # listed / sold / cancelled
    Column("buyer_user_id", String(64)),
    Index("ix_custody_listings_claim", "tenant_id", "claim_id"),
)

custody_installments = Table(
    "custody_installments", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("project_id", String(64), primary_key=True),
    Column("period", Integer, primary_key=True),
    Column("due_date", Date, nullable=False),
    Column("principal_fen", BigInteger, nullable=False),
    Column("interest_fen", BigInteger, nullable=False),
    Column("penalty_fen", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),        # due / frozen / paid
    Column("hold_id", BigInteger),
)

custody_withdrawals = Table(
    "custody_withdrawals", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("request_no", String(_r), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("card_no", String(19), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("fee_fen", BigInteger, nullable=False),
    Column("rail", String(16), nullable=False),
    Column("hold_id", BigInteger, nullable=False),
    Column("settle_tx_id", BigInteger),
    Column("status", String(16), nullable=False),
    Column("month", String(7), nullable=False),          # YYYY-MM, for the free withdrawal
    Column("business_date", Date, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_custody_withdrawals_user", "tenant_id", "user_id", "month"),
    Index("ix_custody_withdrawals_hvps", "tenant_id", "user_id", "business_date",
          postgresql_where=text("rail = 'hvps'"), sqlite_where=text("rail = 'hvps'")),
)

custody_recharges = Table(
    "custody_recharges", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("request_no", String(_r), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),       # quick_pay / offline
    Column("amount_fen", BigInteger, nullable=False),
    Column("fee_fen", BigInteger, nullable=False),
    Column("settle_on", Date, nullable=False),           # the channel's T+1
    Column("settled", Integer, nullable=False),
    Index("ix_custody_recharges_unsettled", "tenant_id", "settled", "settle_on"),
)

#: Every custody request, for replays and "query by serial no." (R-L5, R-C21).
custody_requests = Table(
    "custody_requests", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("request_no", String(_r), primary_key=True),
    Column("operation", String(32), nullable=False),
    Column("content_hash", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("result", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("content", Text),        # the canonical request, to name a differing field
)

#: Batch instructions processed in windows (R-C11), and their items, each with its own result.
custody_batches = Table(
    "custody_batches", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("batch_no", String(_r), primary_key=True),
    Column("kind", String(16), nullable=False),          # lend / repay
    Column("window_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),        # queued / done / failed
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_custody_batches_due", "status", "window_at"),
)

custody_batch_items = Table(
    "custody_batch_items", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("batch_no", String(_r), primary_key=True),
    Column("item_no", Integer, primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", String(16), nullable=False),        # queued / done / failed
    Column("code", String(48), nullable=False),
    Column("message", String(256), nullable=False),
)


#: Finance plans (理财计划, R-C19) and users' holdings of them.
custody_plans = Table(
    "custody_plans", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("plan_id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("annual_rate", String(16), nullable=False),
    Column("term_days", Integer, nullable=False),
    Column("status", String(16), nullable=False),        # open / closed
)

custody_plan_holdings = Table(
    "custody_plan_holdings", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("holding_id", String(_r), primary_key=True),  # the purchase's request no.
    Column("plan_id", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("idle_fen", BigInteger, nullable=False),      # frozen, not yet matched to projects
    Column("idle_hold_id", BigInteger),
    Column("matures_on", Date, nullable=False),
    Column("status", String(16), nullable=False),        # active / redeemed
)

#: Staged migrations (R-C20, migration 0015): the files read and counted, nothing credited
#: until the funding arrived and a maker and a different checker approved.
custody_migrations = Table(
    "custody_migrations", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("migration_id", String(limits.migration_id_length_max), primary_key=True),
    Column("status", String(16), nullable=False),   # staged / maker_approved / applied / …
    Column("files_digest", String(64), nullable=False),     # SHA-256 of the files as sent
    Column("users_count", Integer, nullable=False),         # control totals: accepted rows
    Column("balance_total_fen", BigInteger, nullable=False),
    Column("projects_count", Integer, nullable=False),
    Column("claims_count", Integer, nullable=False),
    Column("funded_fen", BigInteger, nullable=False),       # arrived in the clearing account
    Column("staged_at", UtcDateTime(), nullable=False),
    Column("maker", String(64)),                            # the operators' key ids / names
    Column("maker_at", UtcDateTime()),
    Column("checker", String(64)),
    Column("checker_at", UtcDateTime()),
    Column("closed_at", UtcDateTime()),                     # applied, rejected or cancelled
    Column("reason", String(limits.reason_length_max)),     # why rejected or cancelled
)

#: Every row of a staged migration's files with its outcome; accepted rows carry what the
#: checker's approval applies (``payload``, JSON).
custody_migration_rows = Table(
    "custody_migration_rows", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("migration_id", String(limits.migration_id_length_max), primary_key=True),
    Column("file", String(16), primary_key=True),           # users / projects / claims
    Column("line_no", Integer, primary_key=True),
    Column("row_key", String(64), nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("code", String(48), nullable=False),
    Column("message", String(256), nullable=False),
    Column("payload", Text, nullable=False),
)


#: The custody fee (存管费, R-C2) charged to a platform, one row a month: charged, or owed when
#: the platform's own account was short (charged by a later run).
custody_fee_charges = Table(
    "custody_fee_charges", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("period", String(7), primary_key=True),       # YYYY-MM
    Column("monthly_fen", BigInteger, nullable=False),   # the terms applied
    Column("annual_rate", String(16), nullable=False),
    Column("closed_days", Integer, nullable=False),
    Column("balance_days_fen", BigInteger, nullable=False),  # Σ daily custody balances
    Column("fee_fen", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),        # charged / owed
    Column("attempts", Integer, nullable=False),
    Column("tx_id", BigInteger),
)

#: An exchange-originated project's original loan contract and offline disbursement record
#: (R-C8: the exchange lent first, then offers the claim as a project).
custody_project_origins = Table(
    "custody_project_origins", metadata,
    Column("tenant_id", String(_t), primary_key=True),
    Column("project_id", String(64), primary_key=True),
    Column("contract_no", String(64), nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("lender_name", String(128), nullable=False),
    Column("principal_fen", BigInteger, nullable=False),
    Column("annual_rate", String(16), nullable=False),
    Column("months", Integer, nullable=False),
    Column("disbursement_no", String(64), nullable=False),   # 放款流水号
    Column("disbursed_on", Date, nullable=False),
    Column("disbursed_fen", BigInteger, nullable=False),
    Column("payee_account_no", String(32), nullable=False),  # the borrower's bank account
    Column("recorded_at", UtcDateTime(), nullable=False),
    #: One loan, one project (R-C8, migration 0019).
    Index("ux_custody_project_origins_contract", "tenant_id", "contract_no", unique=True),
    Index("ux_custody_project_origins_disbursement", "tenant_id", "disbursement_no",
          unique=True),
)

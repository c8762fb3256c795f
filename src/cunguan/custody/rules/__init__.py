"""Custody's pure rules (R-C1..R-C21): frozen records and plain functions, no I/O, no SQLAlchemy.

Each module is one rule family: the platform chart (``accounts``), bids, callback retry timing,
the day-end identity check, exchange contracts, command field types, identity (``kyc``),
migration files, passwords, repayment schedules, repayments (penalty and early interest,
investors' shares, coupons), batch windows and withdrawals (routing, fees, in-batch quota).
They import only ``cunguan.core`` and the ledger's pure modules
(``pyproject.toml``'s import contracts check it).
"""

"""R-L1 in PostgreSQL checked once per statement instead of once per row at commit.

The deferred constraint trigger of 0001 ran a PL/pgSQL call and an index probe for every
transaction row at COMMIT: ~25 µs of server time each, measured as a fifth of PostgreSQL's
time in the set-based custody mix. The same check now runs once per INSERT into
``transactions``, over the statement's new rows (a transition table): each new transfer,
settlement or reversal must already have at least two posting lines in ``fund_log`` summing
to zero. The ledger writes a batch's lines before its transaction rows; a transaction row
inserted before its lines is refused at once instead of at commit (the same refusal, earlier).

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_SIGNED = "CASE WHEN f.side = 'D' THEN f.amount_fen ELSE -f.amount_fen END"

_PER_STATEMENT = f"""
CREATE FUNCTION ledger_check_balanced_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT t.tenant_id, t.tx_id, s.lines, s.signed_sum INTO bad
      FROM new_transactions t
     CROSS JOIN LATERAL (
           SELECT count(*) AS lines, coalesce(sum({_SIGNED}), 0) AS signed_sum
             FROM fund_log f
            WHERE f.tenant_id = t.tenant_id AND f.tx_id = t.tx_id
              AND f.line_kind = 'posting') s
     WHERE t.kind IN ('transfer', 'settle', 'reversal')
       AND (s.signed_sum <> 0 OR s.lines < 2)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unbalanced_transaction: tx % of tenant % has % postings summing to %',
            bad.tx_id, bad.tenant_id, bad.lines, bad.signed_sum USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER transactions_balanced ON transactions;
CREATE TRIGGER transactions_balanced AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_balanced_rows();
DROP FUNCTION ledger_check_balanced();
"""

_PER_ROW_AT_COMMIT = f"""
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    signed_sum bigint;
    line_count integer;
BEGIN
    IF NEW.kind NOT IN ('transfer', 'settle', 'reversal') THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum({_SIGNED}), 0), count(*) INTO signed_sum, line_count
      FROM fund_log f
     WHERE f.tenant_id = NEW.tenant_id AND f.tx_id = NEW.tx_id AND f.line_kind = 'posting';
    IF signed_sum <> 0 OR line_count < 2 THEN
        RAISE EXCEPTION 'unbalanced_transaction: tx % of tenant % has % postings summing to %',
            NEW.tx_id, NEW.tenant_id, line_count, signed_sum USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER transactions_balanced ON transactions;
CREATE CONSTRAINT TRIGGER transactions_balanced AFTER INSERT ON transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
DROP FUNCTION ledger_check_balanced_rows();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PER_STATEMENT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PER_ROW_AT_COMMIT)

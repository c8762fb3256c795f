"""One round trip for a single transfer on PostgreSQL (issue 20): ``ledger_post_transfer``;
room for updates on ``accounts``.

A transfer on its own (``LedgerService.transfer``) used two pipelined round trips (the reads,
then the writes and the commit) and ~550 µs of client CPU a transfer, most of it psycopg
building and parsing eight statements; four Python clients on two cores then made 0.36×
pgbench. This function does in one statement, run in autocommit (the statement is the
transaction), what the store and the planner do for one ``Transfer``:

- the tenant's day lock taken shared (R-L7: the day cutover takes it exclusive and waits for
  every posting transaction), then its accounting date read — by a statement of its own, so
  a transfer that waited for a cutover reads the new date;
- the two accounts locked in the order every batch takes them (non-hot accounts sorted by
  account no., then hot ones sorted);
- the request no. looked up after the locks: a replay answers the first transaction's id, a
  different content ``duplicate_with_different_content`` (R-L5);
- ``account_not_found``; each leg's status and direction checked (``rules.check_can_receive``
  for a rising balance, ``rules.check_can_pay`` for a falling one; ``funding`` exempts the
  direction flags), then each falling leg's available against its floor
  (``rules.check_available``): the same codes and details, in the same order;
- the two posting lines, the transaction row (after its lines: the per-statement R-L1 trigger
  of 0009 checks them) and the two accounts' new balances and entry seqs.

The pure checks that need no state (field forms, the amount's range, two different accounts)
stay in Python; a command any of them refuses takes the general path. The function writes
nothing when it refuses. tests/ledger/integration/test_post_transfer_pg.py proves it answers
and writes what the general path does, refusals included.

Also room on ``accounts``' pages for their rows' next versions (fillfactor 50, as 0010 did for
custody's tables): every posting updates two accounts, and an update that finds no room on its
page cannot be HOT and writes a new entry in the primary key. Measured on the batch benchmark's
accounts (10,000, 2,000 updated a batch): HOT updates 60 % → 79 %, server CPU a batch of 1,000
transfers 38.3 → 35.0 ms. Affects pages written from now on (0010 tells how to rewrite).

SQLite has neither (an embedded database has no round trips to save, nor fillfactor).

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_HOT = 8
#: ledger/store/tables.DAY_LOCK_CLASS as of 0023.
_DAY_LOCK_CLASS = 7
_IN_ONLY, _OUT_ONLY, _OVERDRAFT = 1, 2, 4

_CREATE = f"""
CREATE FUNCTION ledger_post_transfer(
    p_tenant text, p_tx_id bigint, p_request_no text, p_debit text, p_credit text,
    p_amount bigint, p_business_type text, p_memo text, p_funding boolean, p_hash bigint,
    p_now timestamptz, OUT o_code text, OUT o_tx_id bigint, OUT o_detail text)
LANGUAGE plpgsql AS $$
DECLARE
    v_date date;
    r accounts%ROWTYPE;
    d accounts%ROWTYPE;
    c accounts%ROWTYPE;
    d_delta bigint;
    c_delta bigint;
    floor_fen bigint;
    prior_tx bigint;
    prior_hash bigint;
BEGIN
    PERFORM pg_advisory_xact_lock_shared({_DAY_LOCK_CLASS}, hashtext(p_tenant));
    SELECT accounting_date INTO v_date FROM tenants WHERE tenant_id = p_tenant;
    IF NOT FOUND THEN
        o_code := 'tenant_not_found';
        RETURN;
    END IF;
    FOR r IN SELECT * FROM accounts
              WHERE tenant_id = p_tenant AND account_no IN (p_debit, p_credit)
              ORDER BY (flags & {_HOT}) <> 0, account_no FOR UPDATE LOOP
        IF r.account_no = p_debit THEN
            d := r;
        ELSE
            c := r;
        END IF;
    END LOOP;
    SELECT t.tx_id, t.content_hash INTO prior_tx, prior_hash
      FROM transactions t WHERE t.tenant_id = p_tenant AND t.request_no = p_request_no;
    IF FOUND THEN
        IF prior_hash = p_hash THEN
            o_code := 'replayed';
            o_tx_id := prior_tx;
        ELSE
            o_code := 'duplicate_with_different_content';
            o_detail := 'first applied as tx ' || prior_tx;
        END IF;
        RETURN;
    END IF;
    IF d.account_no IS NULL OR c.account_no IS NULL THEN
        o_code := 'account_not_found';
        o_detail := CASE WHEN d.account_no IS NULL THEN p_debit ELSE p_credit END;
        RETURN;
    END IF;
    d_delta := CASE WHEN d.normal_side = 'D' THEN p_amount ELSE -p_amount END;
    c_delta := CASE WHEN c.normal_side = 'C' THEN p_amount ELSE -p_amount END;
    o_code := ledger_move_refusal(d, d_delta, p_funding);
    IF o_code IS NULL THEN
        o_code := ledger_move_refusal(c, c_delta, p_funding);
        IF o_code IS NOT NULL THEN
            o_detail := p_credit;
            RETURN;
        END IF;
    ELSE
        o_detail := p_debit;
        RETURN;
    END IF;
    floor_fen := CASE WHEN d.flags & {_OVERDRAFT} <> 0 THEN -d.overdraft_limit_fen
                      ELSE 0 END;
    IF d_delta < 0 AND d.balance_fen - d.frozen_fen + d_delta < floor_fen THEN
        o_code := 'exceeds_available';
        o_detail := p_debit || ' available_fen=' || (d.balance_fen - d.frozen_fen);
        RETURN;
    END IF;
    floor_fen := CASE WHEN c.flags & {_OVERDRAFT} <> 0 THEN -c.overdraft_limit_fen
                      ELSE 0 END;
    IF c_delta < 0 AND c.balance_fen - c.frozen_fen + c_delta < floor_fen THEN
        o_code := 'exceeds_available';
        o_detail := p_credit || ' available_fen=' || (c.balance_fen - c.frozen_fen);
        RETURN;
    END IF;
    INSERT INTO fund_log (tenant_id, account_no, entry_seq, tx_id, line_kind, side, amount_fen,
                          balance_after_fen, frozen_after_fen, available_after_fen,
                          counterparty_account_no, request_no, business_type,
                          accounting_date, posted_at)
    VALUES (p_tenant, p_debit, d.entry_seq + 1, p_tx_id, 'posting', 'D', p_amount,
            d.balance_fen + d_delta, d.frozen_fen, d.balance_fen + d_delta - d.frozen_fen,
            p_credit, p_request_no, p_business_type, v_date, p_now),
           (p_tenant, p_credit, c.entry_seq + 1, p_tx_id, 'posting', 'C', p_amount,
            c.balance_fen + c_delta, c.frozen_fen, c.balance_fen + c_delta - c.frozen_fen,
            p_debit, p_request_no, p_business_type, v_date, p_now);
    INSERT INTO transactions (tenant_id, tx_id, request_no, kind, business_type, content_hash,
                              accounting_date, created_at, hold_id, reverses_tx_id, memo)
    VALUES (p_tenant, p_tx_id, p_request_no, 'transfer', p_business_type, p_hash, v_date,
            p_now, NULL, NULL, p_memo);
    UPDATE accounts a
       SET balance_fen = a.balance_fen + CASE WHEN a.account_no = p_debit
                                             THEN d_delta ELSE c_delta END,
           entry_seq = a.entry_seq + 1
     WHERE a.tenant_id = p_tenant AND a.account_no IN (p_debit, p_credit);
    o_tx_id := p_tx_id;
END $$;
"""

#: rules.check_can_receive for a rising balance, rules.check_can_pay for a falling one.
_MOVE_REFUSAL = f"""
CREATE FUNCTION ledger_move_refusal(a accounts, delta_fen bigint, funding boolean)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN a.status = 'closed' THEN 'account_closed'
    WHEN a.status = 'frozen' THEN 'account_frozen'
    WHEN delta_fen > 0 THEN
        CASE WHEN NOT funding AND a.flags & {_OUT_ONLY} <> 0 THEN 'account_out_only' END
    WHEN a.status = 'frozen_for_debit' THEN 'account_frozen'
    WHEN NOT funding AND a.flags & {_IN_ONLY} <> 0 THEN 'account_in_only'
END
$$;
"""


#: Percent of each accounts page that inserts fill (the default, 100, before this revision).
FILLFACTOR_PERCENT = 50


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_MOVE_REFUSAL)
        op.execute(_CREATE)
        op.execute(f"ALTER TABLE accounts SET (fillfactor = {FILLFACTOR_PERCENT})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE accounts RESET (fillfactor)")
        op.execute("DROP FUNCTION IF EXISTS ledger_post_transfer(text, bigint, text, text, "
                   "text, bigint, text, text, boolean, bigint, timestamptz)")
        op.execute("DROP FUNCTION IF EXISTS ledger_move_refusal(accounts, bigint, boolean)")

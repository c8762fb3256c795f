"""An item's state as read (R-S5, R-S6): closing and settling a session write the session, not
its items; every reader gets the item's state through ``store.items.ITEMS_READ``, whose SQL must
answer what the pure rule ``rules.exceptions.effective_state`` answers — for every stored state
and every session status (none, submitted, settled), on PostgreSQL and SQLite."""

import itertools
from datetime import date, datetime

from sqlalchemy import Engine, insert

from cunguan.clearing.rules.exceptions import (
    STATE_BY_SESSION_STATUS,
    ItemState,
    effective_state,
)
from cunguan.clearing.store.items import ITEMS_READ
from cunguan.clearing.store.tables import clearing_items, clearing_sessions
from cunguan.core.clock import CST

DAY = date(2026, 12, 7)
AT = datetime(2026, 12, 7, 10, 0, tzinfo=CST)
BANK = "102100099996"


def test_r_s5_r_s6_an_items_state_as_read_is_the_rules_effective_state(engine: Engine) -> None:
    statuses = [None, *STATE_BY_SESSION_STATUS]
    cases = list(itertools.product(list(ItemState), statuses))
    with engine.begin() as conn:
        for session_no, status in enumerate(statuses):
            if status is not None:
                conn.execute(insert(clearing_sessions).values(
                    system_id="S", work_date=DAY, session_no=session_no, status=status,
                    net_debits_fen=0, net_credits_fen=0, items=0, settles_on=DAY,
                    submitted_at=AT))
        conn.execute(insert(clearing_items), [
            {"system_id": "S", "item_id": f"i{n}", "package_no": 1, "item_no": n + 1,
             "business_type": "ordinary_credit", "end_to_end_id": f"E{n}",
             "debtor_bank": BANK, "debtor_account": "1", "creditor_bank": BANK,
             "creditor_account": "2", "payer_bank": BANK, "payee_bank": BANK,
             "sender_bank": BANK, "amount_fen": 1, "debit_term_days": 0,
             "state": state.value, "sent_at": AT, "work_date": DAY,
             "session_no": statuses.index(status)}
            for n, (state, status) in enumerate(cases)])
        read = {r.item_id: r.state for r in conn.execute(ITEMS_READ)}
    assert read == {f"i{n}": effective_state(state.value, status).value
                    for n, (state, status) in enumerate(cases)}
    # the rule itself: only a netted item follows its session
    assert effective_state("netted", "settled") is ItemState.SETTLED
    assert effective_state("netted", "submitted") is ItemState.SUBMITTED
    assert effective_state("netted", None) is ItemState.NETTED
    assert effective_state("credited", "settled") is ItemState.CREDITED
    assert effective_state("returned", "submitted") is ItemState.RETURNED

"""Working breaks on both backends (R-B2 (1)): owner, notes, an adjustment by a maker approved
by a different checker (a second checker for a write-off above the limit), posted once through
the ledger and linked to the break."""

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from cunguan.core import limits
from cunguan.ledger.store.tables import transactions
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.store import breaks as break_rows
from tests.helpers import DAY, SUMMARY, TENANT
from tests.reconcile.integration.helpers import BANK_ACCOUNT, World, world

MAKER, CHECKER, SECOND = "ops-alice", "ops-bob", "ops-carol"


def _break(w: World, amount_fen: int, key: str = "k1") -> int:
    """A bank-only break (长款) as a run records it."""
    with w.recon.engine.begin() as conn:
        break_rows.record_found(conn, BANK_ACCOUNT, DAY, [{
            "break_key": key, "break_class": "bank_only", "side": "bank",
            "item_keys": f"bank:{key}", "value_date": DAY, "amount_fen": amount_fen,
            "difference_fen": amount_fen}], w.clock())
    return int(w.recon.breaks()[-1]["break_id"])


def _proposal(amount_fen: int, kind: str = "correction", **more: Any) -> dict[str, Any]:
    # the bank holds money the books do not: Dr the mirror, Cr the platform's fee account
    return {"kind": kind, "debit_account_no": SUMMARY, "credit_account_no": "FEE",
            "amount_fen": amount_fen, "memo": "interest credited by the bank", **more}


def _tx_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(transactions)).scalar_one())


def test_r_b2_an_adjustment_needs_a_checker_who_is_not_its_maker(engine: Engine) -> None:
    w = world(engine)
    break_id = _break(w, 1_234)
    w.recon.assign(break_id, "ops-dave", operator=MAKER)
    w.recon.note(break_id, "bank says: interest of November", operator="ops-dave")
    w.recon.propose(break_id, **_proposal(1_234), operator=MAKER)
    before = _tx_count(engine)
    with pytest.raises(ReconcileError) as refused:
        w.recon.approve(break_id, operator="OPS-Alice")     # the maker, differently typed
    assert refused.value.code == Refusal.CHECKER_IS_MAKER
    assert _tx_count(engine) == before                      # nothing posted
    done = w.recon.approve(break_id, operator=CHECKER)
    assert done["state"] == "posted" and not done["replayed"]
    detail = w.recon.break_detail(break_id)
    assert detail["state"] == "resolved" and detail["tx_id"] == done["tx_id"]
    assert detail["tenant_id"] == TENANT and detail["owner"] == "ops-dave"
    assert [a["kind"] for a in detail["actions"]] == ["assign", "note", "propose", "approve",
                                                      "approve"]
    assert detail["adjustments"][0]["checker"] == CHECKER
    assert w.ledger.account(TENANT, SUMMARY).balance_fen == 1_234
    with engine.connect() as conn:
        posted = conn.execute(select(transactions).where(
            transactions.c.tx_id == done["tx_id"])).one()
    assert posted.business_type == "recon_adjustment"
    again = w.recon.approve(break_id, operator=CHECKER)
    assert again["replayed"] and again["tx_id"] == done["tx_id"]
    assert _tx_count(engine) == before + 1                  # the replay posted nothing
    assert w.ledger.account(TENANT, SUMMARY).balance_fen == 1_234


def test_r_b2_a_write_off_above_the_limit_needs_a_second_checker(engine: Engine) -> None:
    w = world(engine)
    amount = limits.writeoff_second_approval_fen + 1
    break_id = _break(w, amount)
    w.recon.assign(break_id, MAKER, operator=MAKER)
    w.recon.propose(break_id, **_proposal(amount, "write_off"), operator=MAKER)
    first = w.recon.approve(break_id, operator=CHECKER)
    assert first["state"] == "approved_once" and first["tx_id"] is None
    for same, code in ((MAKER, Refusal.CHECKER_IS_MAKER), (CHECKER, Refusal.APPROVER_REPEATED)):
        with pytest.raises(ReconcileError) as refused:
            w.recon.approve(break_id, operator=same)
        assert refused.value.code == code
    assert w.ledger.account(TENANT, SUMMARY).balance_fen == 0
    done = w.recon.approve(break_id, operator=SECOND)
    assert done["state"] == "posted"
    assert w.recon.break_detail(break_id)["state"] == "written_off"
    adjustment = w.recon.break_detail(break_id)["adjustments"][0]
    assert (adjustment["checker"], adjustment["second_approver"]) == (CHECKER, SECOND)
    assert w.ledger.account(TENANT, SUMMARY).balance_fen == amount


def test_r_b2_a_rejected_proposal_posts_nothing_and_the_break_is_cleared(engine: Engine
                                                                        ) -> None:
    w = world(engine)
    break_id = _break(w, 500)
    with pytest.raises(ReconcileError) as unassigned:
        w.recon.propose(break_id, **_proposal(500), operator=MAKER)
    assert unassigned.value.code == Refusal.BREAK_STATE_ILLEGAL
    w.recon.assign(break_id, MAKER, operator=MAKER)
    w.recon.propose(break_id, **_proposal(500), operator=MAKER)
    w.recon.reject(break_id, "wrong counter account", operator=CHECKER)
    assert w.recon.break_detail(break_id)["state"] == "rejected"
    with pytest.raises(ReconcileError) as nothing:
        w.recon.approve(break_id, operator=CHECKER)
    assert nothing.value.code == Refusal.BREAK_STATE_ILLEGAL
    assert w.ledger.account(TENANT, SUMMARY).balance_fen == 0
    w.recon.resolve(break_id, "the bank reversed its line on 11-24", operator=CHECKER)
    cleared = w.recon.break_detail(break_id)
    assert cleared["state"] == "resolved" and cleared["tx_id"] is None
    assert cleared["resolved_on"] == DAY
    assert _tx_count(engine) == 0
    with pytest.raises(ReconcileError) as closed:
        w.recon.assign(break_id, MAKER, operator=MAKER)
    assert closed.value.code == Refusal.BREAK_CLOSED


def test_r_b2_an_adjustment_outside_the_break_ledger_is_refused(engine: Engine) -> None:
    w = world(engine)
    break_id = _break(w, 500)
    w.recon.assign(break_id, MAKER, operator=MAKER)
    with pytest.raises(ReconcileError) as refused:
        w.recon.propose(break_id, **_proposal(500, debit_account_no="U1"), operator=MAKER)
    assert refused.value.code == Refusal.FIELD_INVALID
    with pytest.raises(ReconcileError) as missing:
        w.recon.assign(999, "x", operator=MAKER)
    assert missing.value.code == Refusal.BREAK_NOT_FOUND

"""Day-end checks as pure functions (R-L1, R-L4, R-L8)."""

from datetime import date

from cunguan.ledger.daybook import (
    AccountDay,
    DayFacts,
    check_continuity,
    check_frozen_matches_holds,
    check_transactions_balanced,
    check_trial_balance,
    format_report,
    run_checks,
)
from cunguan.ledger.model import Side


def _day(*accounts: AccountDay, unbalanced: list[tuple[int, int]] | None = None) -> DayFacts:
    return DayFacts("P1", date(2026, 11, 23), list(accounts), unbalanced or [])


def _account(no: str, side: Side, opening: int, debit: int, credit: int, **kw: int
             ) -> AccountDay:
    closing = opening + (debit - credit if side is Side.DEBIT else credit - debit)
    values = {"last": closing, "later": 0, "current": closing, "frozen": 0, "holds": 0, **kw}
    return AccountDay(no, "1002" if side is Side.DEBIT else "2011", side, opening, debit,
                      credit, values["last"], values["later"], values["current"],
                      values["frozen"], values["holds"])


def test_r_l8_a_balanced_day_has_no_findings() -> None:
    facts = _day(_account("SUM", Side.DEBIT, 100, 50, 0), _account("U1", Side.CREDIT, 100, 0, 50))
    assert run_checks(facts) == []
    assert "PASSED" in format_report(facts, [])


def test_r_l8_trial_balance_finds_unequal_debits_and_credits() -> None:
    facts = _day(_account("SUM", Side.DEBIT, 0, 50, 0), _account("U1", Side.CREDIT, 0, 0, 49))
    assert {f.subject for f in check_trial_balance(facts)} == {"movements", "balances"}


def test_r_l8_continuity_finds_a_log_that_disagrees() -> None:
    facts = _day(_account("U1", Side.CREDIT, 100, 0, 50, last=151, current=151, later=1))
    found = check_continuity(facts)
    assert len(found) == 1 and "fund log says 151" in found[0].message


def test_r_l1_unbalanced_transactions_are_reported_and_capped() -> None:
    facts = _day(unbalanced=[(i, 5) for i in range(500)])
    found = check_transactions_balanced(facts)
    assert len(found) == 201 and "300 more" in found[-1].message


def test_r_l4_frozen_must_match_open_holds() -> None:
    facts = _day(_account("U1", Side.CREDIT, 100, 0, 0, frozen=30, holds=20))
    assert [f.rule for f in check_frozen_matches_holds(facts)] == ["R-L4"]


def test_r_c1_summary_identity_check() -> None:
    from cunguan.custody.rules.checks import check_summary_matches_sub_accounts

    balanced = _day(_account("SUMMARY", Side.DEBIT, 0, 500, 0),
                    _account("CHANNEL", Side.DEBIT, 0, 100, 0),
                    _account("U-1", Side.CREDIT, 0, 0, 600))
    assert check_summary_matches_sub_accounts(balanced) == []
    short = _day(_account("SUMMARY", Side.DEBIT, 0, 500, 0),
                 _account("U-1", Side.CREDIT, 0, 0, 600))
    assert [f.rule for f in check_summary_matches_sub_accounts(short)] == ["R-C1"]
    assert check_summary_matches_sub_accounts(_day(_account("X", Side.CREDIT, 0, 0, 1))) == []

"""Custody's day-end check (R-C1, R-L8), registered with the ledger's day book."""

from cunguan.custody.rules.accounts import BANK_HELD, SUMMARY
from cunguan.ledger.daybook import DayFacts, Finding, register_check


@register_check
def check_summary_matches_sub_accounts(facts: DayFacts) -> list[Finding]:
    """R-C1: summary account (+ channel money in transit) = Σ user and platform accounts."""
    if not any(a.account_no == SUMMARY for a in facts.accounts):
        return []  # not a custody tenant
    held = sum(a.closing_fen for a in facts.accounts if a.account_no in BANK_HELD)
    owed = sum(a.closing_fen for a in facts.accounts if a.account_no not in BANK_HELD)
    if held == owed:
        return []
    return [Finding("R-C1", "summary_matches_sub_accounts", SUMMARY,
                    f"summary + in transit {held} ≠ Σ sub-accounts {owed} fen")]

"""The custody account's statement acts on custody (R-C15): a payout the bank returned or
reversed is reversed in the books by custody's own command, and a channel's T+1 settlement
file settles the recharges it paid for. Everything goes through the custody service's
commands and reads (never its store); each command's serial no. is derived from the statement
(``rules/returns.py``), so a re-import replays and nothing happens twice.

What the lines say that custody cannot act on comes back as outcomes the caller keeps as
breaks (``ReturnOutcome.is_break``).
"""

from collections.abc import Sequence

from cunguan.core.errors import CunguanError, present
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.reconcile.rules import returns as rules
from cunguan.reconcile.rules.returns import OutcomeKind, ReturnOutcome, SettlementOutcome
from cunguan.reconcile.rules.statements import StatementLine

__all__ = ["ReturnOutcome", "SettlementOutcome", "apply_channel_settlement",
           "apply_statement_returns"]


def apply_statement_returns(custody: LendingService, tenant_id: str,
                            lines: Sequence[tuple[str, StatementLine]]) -> list[ReturnOutcome]:
    """Each returned or reversed line (``line_key``, line) of the platform's custody account
    statement: the withdrawal it names reversed through ``statement_reversal`` (money and fee
    back to the user, the withdrawal ``reversed``), or an outcome saying why not. Lines of
    other statuses are not this function's and get no outcome."""
    return [_return(custody, tenant_id, key, line) for key, line in lines
            if rules.is_return(line)]


def _return(custody: LendingService, tenant_id: str, key: str,
            line: StatementLine) -> ReturnOutcome:
    payout = _payout(custody, tenant_id, rules.references(line))
    request_no = rules.return_request_no(key)
    done_before = custody.request_status(tenant_id, request_no) is not None
    reported = rules.judge_return(key, line, payout, done_before)
    if reported is not None:
        return reported
    payout = present(payout, "judge_return reports every line that names no payout")
    result = custody.statement_reversal(tenant_id, request_no, payout.withdrawal_no)
    if result.ok:
        kind = OutcomeKind.ALREADY_REVERSED if result.replayed else OutcomeKind.REVERSED
        return ReturnOutcome(key, kind, payout.withdrawal_no, line.amount_fen,
                             payout.amount_fen, request_no, message="withdrawal reversed")
    return ReturnOutcome(key, OutcomeKind.REFUSED, payout.withdrawal_no, line.amount_fen,
                         payout.amount_fen, request_no, result.code, result.message)


def _payout(custody: LendingService, tenant_id: str,
            references: list[str]) -> rules.PayoutSeen | None:
    """The first of the references that names one of the platform's withdrawals."""
    for ref in references:
        try:
            return rules.PayoutSeen.of(custody.withdrawal(tenant_id, ref))
        except CunguanError as exc:   # custody's read names what it did not find
            if exc.code != "withdrawal_not_found":
                raise
    return None


def apply_channel_settlement(custody: LendingService, tenant_id: str,
                             lines: Sequence[tuple[str, StatementLine]]
                             ) -> list[SettlementOutcome]:
    """A quick-pay channel's settlement file for the platform (its booked money-in lines,
    each naming a recharge by its serial no., or one net line a day): each item checked
    against the recharge custody booked, then each day the money arrived settled through
    custody's ``settle_channel`` (which also repays a T+0 advance), and the net custody
    settled compared with the file's."""
    outcomes: list[SettlementOutcome] = []
    for settle_on, day_lines in rules.settled_lines(list(lines)).items():
        for key, line in day_lines:
            refs = rules.references(line)
            if not refs:
                continue   # a net line of the day: compared below, as the day's
            recharge = next((seen for ref in refs if (seen := rules.RechargeSeen.of(
                ref, custody.request_status(tenant_id, ref))) is not None), None)
            outcomes.append(rules.judge_item(key, line, recharge))
        request_no = rules.settlement_request_no(settle_on)
        result = custody.settle_channel(tenant_id, request_no, settle_on)
        if not result.ok:
            outcomes.append(ReturnOutcome(
                day_lines[0][0], OutcomeKind.REFUSED, settle_on.isoformat(),
                rules.file_net_fen(day_lines), None, request_no, result.code, result.message))
            continue
        outcomes.append(rules.judge_day(settle_on, day_lines, request_no,
                                        int(result.data["net_fen"])))
    return outcomes

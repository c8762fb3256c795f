"""Field rules for ledger commands: a malformed field is refused by name before anything is
read by it (pure, no I/O)."""

from collections.abc import Callable, Sequence
from typing import Any

from cunguan.core import limits
from cunguan.ledger import rules
from cunguan.ledger.model import (
    Command,
    CompoundTransfer,
    Freeze,
    Payee,
    Posting,
    Reject,
    Release,
    Result,
    Reverse,
    Settle,
    Side,
    Transfer,
)

#: A refused field: the reject and the field's name.
Problem = tuple[Reject, str]
_INVALID = Reject.FIELD_INVALID


def field_refusal(cmd: Command) -> Result | None:
    """A command whose fields are malformed, refused naming the first such field (the field
    rules, in order); None when every field has its form. Checked before anything is read by
    those fields, so no value of any type reaches the store; amounts are only type-checked
    here (their range is the rules' ``check_amount``)."""
    check = _FIELD_CHECKS.get(type(cmd))
    if check is None:
        return Result(getattr(cmd, "request_no", ""), _INVALID,
                      detail="command: not a ledger command")
    problem = check(cmd)
    return None if problem is None else Result(cmd.request_no, problem[0], detail=problem[1])


def field_refusals(commands: Sequence[Command]) -> list[Result | None]:
    return [field_refusal(cmd) for cmd in commands]


def _common_problem(cmd: Command) -> Problem | None:
    if rules.check_serial_no(cmd.request_no):
        return _INVALID, "request_no"
    if rules.check_identifier(cmd.business_type, limits.business_type_length_max):
        return _INVALID, "business_type"
    return None


def _account_problem(account_no: object, amount_fen: object, field: str) -> Problem | None:
    """An account no. a command names (it is looked up: a well-formed unknown one is
    account_not_found) and the amount it moves (an int; its range is check_amount's)."""
    if rules.check_text(account_no, limits.account_no_length_max, required=True):
        return _INVALID, field
    if type(amount_fen) is not int:
        return Reject.AMOUNT_MUST_BE_POSITIVE, "amount_fen"
    return None


def _transfer_problem(cmd: Transfer) -> Problem | None:
    """The hot path: each rule called once, nothing in between (~2 µs a transfer)."""
    if rules.check_serial_no(cmd.request_no):
        return _INVALID, "request_no"
    if rules.check_identifier(cmd.business_type, limits.business_type_length_max):
        return _INVALID, "business_type"
    if rules.check_text(cmd.debit_account_no, limits.account_no_length_max, required=True):
        return _INVALID, "debit_account_no"
    if rules.check_text(cmd.credit_account_no, limits.account_no_length_max, required=True):
        return _INVALID, "credit_account_no"
    if type(cmd.amount_fen) is not int:
        return Reject.AMOUNT_MUST_BE_POSITIVE, "amount_fen"
    return _memo_problem(cmd.memo, cmd.funding)


def _memo_problem(memo: object, funding: object) -> Problem | None:
    if rules.check_text(memo, limits.memo_length_max, required=False):
        return _INVALID, "memo"
    if rules.check_flag(funding):
        return _INVALID, "funding"
    return None


def _legs_problem(legs: object, leg_type: type, field: str, count_max: int) -> Problem | None:
    """A compound transfer's postings or a settlement's payees: a tuple or list of their
    records, each naming an account and an amount (a posting also a Side)."""
    if not isinstance(legs, (tuple, list)):
        return _INVALID, field
    if len(legs) > count_max:
        return Reject.TOO_MANY_POSTINGS, field
    for index, leg in enumerate(legs):
        if type(leg) is not leg_type or not isinstance(leg, (Posting, Payee)):
            return _INVALID, f"{field}[{index}]"
        problem = _account_problem(leg.account_no, leg.amount_fen,
                                   f"{field}[{index}].account_no")
        if problem:
            return problem
        if isinstance(leg, Posting) and type(leg.side) is not Side:
            return _INVALID, f"{field}[{index}].side"
    return None


def _compound_problem(cmd: CompoundTransfer) -> Problem | None:
    return (_common_problem(cmd)
            or _legs_problem(cmd.postings, Posting, "postings",
                          limits.postings_per_transaction_max)
            or _memo_problem(cmd.memo, cmd.funding))


def _freeze_problem(cmd: Freeze) -> Problem | None:
    problem = (_common_problem(cmd)
               or _account_problem(cmd.account_no, cmd.amount_fen, "account_no"))
    if problem:
        return problem
    if rules.check_text(cmd.reason, limits.reason_length_max, required=False):
        return _INVALID, "reason"
    if rules.check_moment(cmd.expires_at):
        return _INVALID, "expires_at"
    return None


def _settle_problem(cmd: Settle) -> Problem | None:
    problem = _common_problem(cmd)
    if problem:
        return problem
    if rules.check_id(cmd.hold_id):
        return _INVALID, "hold_id"
    return _legs_problem(cmd.payees, Payee, "payees", limits.payees_per_settle_max)


def _release_problem(cmd: Release) -> Problem | None:
    problem = _common_problem(cmd)
    if problem:
        return problem
    if rules.check_id(cmd.hold_id):
        return _INVALID, "hold_id"
    if rules.check_text(cmd.reason, limits.reason_length_max, required=False):
        return _INVALID, "reason"
    if rules.check_flag(cmd.expired):
        return _INVALID, "expired"
    return None


def _reverse_problem(cmd: Reverse) -> Problem | None:
    problem = _common_problem(cmd)
    if problem:
        return problem
    if rules.check_id(cmd.original_tx_id):
        return _INVALID, "original_tx_id"
    if rules.check_text(cmd.reason, limits.reason_length_max, required=False):
        return _INVALID, "reason"
    return None


_FIELD_CHECKS: dict[type, Callable[[Any], Problem | None]] = {
    Transfer: _transfer_problem, CompoundTransfer: _compound_problem, Freeze: _freeze_problem,
    Settle: _settle_problem, Release: _release_problem, Reverse: _reverse_problem,
}

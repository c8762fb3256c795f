"""The break workflow (R-B2): what happens to a break after matching raised it, as pure functions
over frozen records. Each returns the case's next record or refuses with a named code.

States::

    open ──assign──▶ assigned ──propose──▶ adjustment_proposed ──approve──▶ approved ──post──▶
      │                 ▲                        │                                 resolved
      │                 └──────propose─── rejected ◀──reject──┘                (or written_off)
      └──clear (assigned, rejected too)──▶ resolved   (no posting: the item arrived, matched)

An adjustment is the ledger transaction the handler will post (debit and credit accounts,
amount, memo), proposed by a maker and approved by a checker who is not the maker
(``checker_is_maker``). A write-off above ``writeoff_second_approval_fen`` needs a second
approval by yet another checker (``approver_repeated`` when the same one approves again). Only an
approved adjustment is posted (``post`` takes the ledger transaction's id); nothing is approved
twice (``break_state_illegal``), and a closed case takes no step but a note (``break_closed``).

Notes are append-only: every step appends one saying who did what, so the notes are the
case's history. Names are compared NFKC-normalised and case-folded, so ``alice``, ``Alice `` and
``ａｌｉｃｅ`` are one operator.
"""

import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Final

from cunguan.core import fields, limits
from cunguan.core.fields import FieldInvalid
from cunguan.reconcile.rules.match_kinds import BreakClass
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal


class BreakState(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    ADJUSTMENT_PROPOSED = "adjustment_proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    RESOLVED = "resolved"
    WRITTEN_OFF = "written_off"


class AdjustmentKind(StrEnum):
    CORRECTION = "correction"   # puts the books right (a missed receipt, a fee)
    WRITE_OFF = "write_off"     # gives the difference up (to a loss or income subject)


class ResolutionKind(StrEnum):
    ADJUSTED = "adjusted"         # an approved correction was posted
    WRITTEN_OFF = "written_off"   # an approved write-off was posted
    CLEARED = "cleared"           # nothing to post: the item arrived or matched later


#: States a case is closed in: it takes notes, nothing else.
CLOSED: Final = frozenset({BreakState.RESOLVED, BreakState.WRITTEN_OFF})


def _field(error: FieldInvalid) -> ReconcileError:
    return ReconcileError(Refusal.FIELD_INVALID, error.message, **error.details)


def operator(value: object, field: str) -> str:
    """An operator's name: text, NFKC-normalised, without invisible format characters (so one
    operator cannot pass for two by a trailing space, a full-width letter or a zero-width
    space)."""
    try:
        name = unicodedata.normalize("NFKC", fields.text(
            value, field, max_length=limits.operator_length_max))
        if any(unicodedata.category(ch) == "Cf" for ch in name):
            raise FieldInvalid(field, "must not contain invisible format characters")
        return fields.text(name, field, max_length=limits.operator_length_max)
    except FieldInvalid as error:
        raise _field(error) from None


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _day(value: object, field: str) -> date:
    try:
        return fields.day(value, field)
    except FieldInvalid as error:
        raise _field(error) from None


def _text(value: object, field: str, max_length: int, *, allow_empty: bool = False) -> str:
    try:
        return fields.text(value, field, max_length=max_length, allow_empty=allow_empty)
    except FieldInvalid as error:
        raise _field(error) from None


def break_id(value: object, field: str = "break_id") -> int:
    """A break's id as every command takes it: an int (not a bool) from 1 to ``limits.id_max``,
    so no caller's value reaches the database's BIGINT out of range."""
    if type(value) is not int or not 1 <= value <= limits.id_max:
        raise ReconcileError(Refusal.FIELD_INVALID,
                             f"{field} must be an int from 1 to {limits.id_max}",
                             field=field, reason="not an int in range")
    return value


def _ident(value: object, field: str, max_length: int) -> str:
    try:
        return fields.identifier(value, field, max_length)
    except FieldInvalid as error:
        raise _field(error) from None


@dataclass(frozen=True, slots=True)
class Note:
    """One line of a case's history: who, when, what."""

    author: str
    on: date
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "author", operator(self.author, "author"))
        object.__setattr__(self, "on", _day(self.on, "on"))
        object.__setattr__(self, "text", _text(self.text, "text", limits.break_note_length_max))


@dataclass(frozen=True, slots=True)
class Adjustment:
    """The ledger transaction a handler will post to settle a break, once approved."""

    kind: AdjustmentKind
    debit_account: str
    credit_account: str
    amount_fen: int
    memo: str
    maker: str

    def __post_init__(self) -> None:
        if not isinstance(self.kind, AdjustmentKind):
            raise ReconcileError(Refusal.FIELD_INVALID, "kind: correction or write_off",
                                 field="kind", reason="must be correction or write_off")
        for name in ("debit_account", "credit_account"):
            _ident(getattr(self, name), name, limits.account_no_length_max)
        if self.debit_account == self.credit_account:
            raise ReconcileError(Refusal.FIELD_INVALID, "credit_account: same as debit_account",
                                 field="credit_account", reason="must differ from debit_account")
        try:
            fields.amount_fen(self.amount_fen, "amount_fen")
        except FieldInvalid as error:
            raise _field(error) from None
        object.__setattr__(self, "memo", _text(self.memo, "memo", limits.memo_length_max))
        object.__setattr__(self, "maker", operator(self.maker, "maker"))


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a case closed: the kind, who closed it, when, the posted ledger transaction (empty
    when nothing was posted) and why."""

    kind: ResolutionKind
    by: str
    on: date
    transaction_id: str
    text: str


@dataclass(frozen=True, slots=True)
class BreakCase:
    """One break under work. ``difference_fen`` is matching's (bank minus books)."""

    break_id: str
    break_class: BreakClass
    account_no: str
    difference_fen: int
    opened_on: date
    state: BreakState = BreakState.OPEN
    owner: str = ""
    notes: tuple[Note, ...] = ()
    adjustment: Adjustment | None = None
    approvals: tuple[str, ...] = ()
    resolution: Resolution | None = None

    def age_days(self, as_of: date) -> int:
        """Calendar days since the case was opened."""
        return (as_of - self.opened_on).days

    def approvals_needed(self, second_approval_fen: int) -> int:
        """1, or 2 for a write-off above the second-approval limit."""
        adj = self.adjustment
        if adj is not None and adj.kind is AdjustmentKind.WRITE_OFF \
                and adj.amount_fen > second_approval_fen:
            return 2
        return 1


def open_case(break_id: object, break_class: object, account_no: object, difference_fen: object,
              opened_on: object) -> BreakCase:
    """A new case for a break matching raised."""
    bid = _ident(break_id, "break_id", limits.break_id_length_max)
    if not isinstance(break_class, BreakClass):
        raise ReconcileError(Refusal.FIELD_INVALID, "break_class: unknown", field="break_class",
                             reason="must be a BreakClass")
    account = _ident(account_no, "account_no", limits.account_no_length_max)
    try:
        diff = fields.amount_fen(difference_fen, "difference_fen",
                                 minimum=-limits.amount_fen_max, maximum=limits.amount_fen_max)
    except FieldInvalid as error:
        raise _field(error) from None
    day = _day(opened_on, "opened_on")
    return BreakCase(bid, break_class, account, diff, day)


def _refuse_state(case: BreakCase, action: str) -> ReconcileError:
    if case.state in CLOSED:
        return ReconcileError(Refusal.BREAK_CLOSED, f"break {case.break_id} is {case.state}",
                              break_id=case.break_id, state=case.state.value, action=action)
    return ReconcileError(Refusal.BREAK_STATE_ILLEGAL,
                          f"break {case.break_id}: cannot {action} when {case.state}",
                          break_id=case.break_id, state=case.state.value, action=action)


def _require(case: BreakCase, action: str, *states: BreakState) -> None:
    if case.state not in states:
        raise _refuse_state(case, action)


def _noted(case: BreakCase, author: str, on: object, text: str) -> tuple[Note, ...]:
    return (*case.notes, Note(author, _day(on, "on"), text))


def add_note(case: BreakCase, author: object, text: object, *, on: object) -> BreakCase:
    """Append a note (any state, closed ones too: the history stays open for remarks)."""
    who = operator(author, "author")
    body = _text(text, "text", limits.break_note_length_max)
    return replace(case, notes=_noted(case, who, on, body))


def assign(case: BreakCase, owner: object, *, by: object, on: object) -> BreakCase:
    """Give the case an owner (again, to another, while nobody's adjustment waits)."""
    _require(case, "assign", BreakState.OPEN, BreakState.ASSIGNED, BreakState.REJECTED)
    new_owner, who = operator(owner, "owner"), operator(by, "by")
    state = BreakState.REJECTED if case.state is BreakState.REJECTED else BreakState.ASSIGNED
    return replace(case, owner=new_owner, state=state,
                   notes=_noted(case, who, on, f"assigned to {new_owner}"))


def propose(case: BreakCase, adjustment: Adjustment, *, on: object) -> BreakCase:
    """The maker proposes the adjustment that settles the case (again after a rejection)."""
    _require(case, "propose", BreakState.ASSIGNED, BreakState.REJECTED)
    if not isinstance(adjustment, Adjustment):
        raise ReconcileError(Refusal.FIELD_INVALID, "adjustment: not an Adjustment",
                             field="adjustment", reason="must be an Adjustment")
    text = (f"proposed {adjustment.kind} of {adjustment.amount_fen} fen: debit "
            f"{adjustment.debit_account}, credit {adjustment.credit_account}: {adjustment.memo}")
    return replace(case, state=BreakState.ADJUSTMENT_PROPOSED, adjustment=adjustment,
                   approvals=(), notes=_noted(case, adjustment.maker, on, text))


def _checker(case: BreakCase, checker: object, action: str) -> str:
    who = operator(checker, "checker")
    maker = case.adjustment.maker if case.adjustment is not None else ""
    if _same(who, maker):
        raise ReconcileError(Refusal.CHECKER_IS_MAKER,
                             f"break {case.break_id}: the maker cannot {action} their own "
                             "adjustment", break_id=case.break_id, checker=who)
    return who


def approve(case: BreakCase, checker: object, *, on: object,
            second_approval_fen: int = limits.writeoff_second_approval_fen) -> BreakCase:
    """A checker approves the proposed adjustment; a write-off above ``second_approval_fen``
    stays proposed until a second, different checker approves it too."""
    _require(case, "approve", BreakState.ADJUSTMENT_PROPOSED)
    who = _checker(case, checker, "approve")
    if any(_same(who, earlier) for earlier in case.approvals):
        raise ReconcileError(Refusal.APPROVER_REPEATED,
                             f"break {case.break_id}: {who} approved it already",
                             break_id=case.break_id, checker=who)
    approvals = (*case.approvals, who)
    done = len(approvals) >= case.approvals_needed(second_approval_fen)
    state = BreakState.APPROVED if done else BreakState.ADJUSTMENT_PROPOSED
    text = "approved" if done else "approved (first of two)"
    return replace(case, state=state, approvals=approvals, notes=_noted(case, who, on, text))


def reject(case: BreakCase, checker: object, reason: object, *, on: object) -> BreakCase:
    """A checker sends the proposed adjustment back, with the reason."""
    _require(case, "reject", BreakState.ADJUSTMENT_PROPOSED)
    who = _checker(case, checker, "reject")
    why = _text(reason, "reason", limits.reason_length_max)
    return replace(case, state=BreakState.REJECTED, approvals=(),
                   notes=_noted(case, who, on, f"rejected: {why}"))


def post(case: BreakCase, transaction_id: object, *, by: object, on: object) -> BreakCase:
    """The approved adjustment was posted as this ledger transaction: the case closes,
    resolved (a correction) or written off."""
    _require(case, "post", BreakState.APPROVED)
    tx = _ident(transaction_id, "transaction_id", limits.identifier_length_max)
    who = operator(by, "by")
    adj = case.adjustment
    if adj is None:  # approved implies an adjustment: a bug, not input
        raise _refuse_state(case, "post")
    written_off = adj.kind is AdjustmentKind.WRITE_OFF
    kind = ResolutionKind.WRITTEN_OFF if written_off else ResolutionKind.ADJUSTED
    day = _day(on, "on")
    return replace(case, state=BreakState.WRITTEN_OFF if written_off else BreakState.RESOLVED,
                   resolution=Resolution(kind, who, day, tx, adj.memo),
                   notes=_noted(case, who, day, f"posted as {tx}"))


def clear(case: BreakCase, reason: object, *, by: object, on: object) -> BreakCase:
    """Close a case with nothing to post (the item arrived, a later run matched it)."""
    _require(case, "clear", BreakState.OPEN, BreakState.ASSIGNED, BreakState.REJECTED)
    who = operator(by, "by")
    why = _text(reason, "reason", limits.reason_length_max)
    day = _day(on, "on")
    return replace(case, state=BreakState.RESOLVED,
                   resolution=Resolution(ResolutionKind.CLEARED, who, day, "", why),
                   notes=_noted(case, who, day, f"cleared: {why}"))


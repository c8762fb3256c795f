"""The matching engine (R-B2 check 1): a bank account's statement lines against the items the
books expect on it, on Polars frames, vectorised.

Rules, in order, each recording the rule that matched (``MatchRule``):

1. ``reference`` — 1:1 by reference: a line's end-to-end reference, then its bank reference,
   equal to a book item's reference; same account, same direction.
2. ``amount_date`` — 1:1 by amount, value date within ``date_tolerance_days`` and counterparty
   account (compared only when both sides have one); the exact date first, then one day off,
   two days off … Amounts equal (``pairing.by_amount_date``); then, over what is left and only
   when ``amount_tolerance_fen`` > 0, amounts at most that far apart, the nearest amount first
   (``grouping.by_amount_tolerance``): such a pair is an ``amount_mismatch`` break.
3. ``group_1n`` / ``group_n1`` — one bank line against several book items (a channel's net
   settlement, a batch payout), or several bank lines against one book item: same account,
   direction and group key (the reference's batch prefix up to ``batch_ref_separator``, then
   the counterparty account), the members of one value date at most ``group_window_days``
   before the single side's, summing exactly to it; 2 to ``group_items_max`` members
   (``grouping.groups``). A batch one member short of its sum is not a group: the members
   stay in transit and, past T+N, are breaks. Clearing it by dropping the member that makes
   the difference would declare a batch settled that the bank did not settle as given; the
   failed item of a batch payout comes back as its own return line, and then the batch sums.

Ties are broken by the keys (the store's stable line key, the book's item id), never by row
order: the same inputs in any order give the same result.

A 1:1 pair whose sides disagree is a break, not a match: ``status_mismatch`` (the bank says
returned or reversed, the books do not, or the reverse), else ``amount_mismatch``, else
``fee_mismatch``. A second bank line with the same bank reference, or a second book item with
the same reference (same account and direction), is a ``duplicate``. What is left is in transit
(未达账项) while its age is within its direction's arrival window (T+N); past it, a break:
``bank_only`` (长款) or ``book_only`` (短款).

Ages are calendar days: ``age_days = as_of − value_date`` (not working days).

``difference_fen`` is always bank minus books in the item's direction: an amount mismatch's
difference of amounts, a fee mismatch's difference of fees, a bank-only item's amount, a book-only
item's amount negated, a duplicate's amount (negated on the book side), a status mismatch's bank
amount (the money at stake). A break of two rows repeats it on both.

Complexity: each pass is a hash join or a sort over the remaining rows, so O(n log n) in the
rows of both sides; the exact date passes run 2·``date_tolerance_days``+1 times, the tolerance
pass and the group passes (four: two group keys, 1:N and N:1) once each, over what is still
unmatched, with a few rounds among competing candidates (``grouping``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import polars as pl

from cunguan.core import limits
from cunguan.core.errors import invariant
from cunguan.core.fields import FieldInvalid, whole_number
from cunguan.reconcile.rules import grouping, pairing
from cunguan.reconcile.rules.match_kinds import BreakClass, MatchRule
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import BookItem, Direction, LineStatus, StatementLine

__all__ = ["BANK_SCHEMA", "BOOK_SCHEMA", "BREAKS_SCHEMA", "IN_TRANSIT_SCHEMA", "MATCHES_SCHEMA",
           "BreakClass", "MatchPolicy", "MatchResult", "MatchRule", "bank_frame", "book_frame",
           "match"]


#: The frame ``bank_frame`` builds and ``match`` takes: one row per statement line.
BANK_SCHEMA: Final = pl.Schema({
    "key": pl.String, "account_no": pl.String, "line_no": pl.Int64, "value_date": pl.Date,
    "booking_date": pl.Date, "direction": pl.String, "amount_fen": pl.Int64,
    "bank_ref": pl.String, "end_to_end_ref": pl.String, "counterparty_account": pl.String,
    "status": pl.String, "fee_fen": pl.Int64, "original_ref": pl.String,
})
#: The frame ``book_frame`` builds and ``match`` takes: one row per book item.
BOOK_SCHEMA: Final = pl.Schema({
    "key": pl.String, "account_no": pl.String, "value_date": pl.Date, "direction": pl.String,
    "amount_fen": pl.Int64, "reference": pl.String, "counterparty_account": pl.String,
    "status": pl.String, "fee_fen": pl.Int64, "business_class": pl.String,
})
#: ``MatchResult.matches``: one row per matched line or item.
MATCHES_SCHEMA: Final = pl.Schema({
    "group_id": pl.String, "rule": pl.String, "side": pl.String, "key": pl.String,
    "amount_fen": pl.Int64, "account_no": pl.String,
})
#: ``MatchResult.breaks``: one row per line or item of a break (a pair's break has two).
BREAKS_SCHEMA: Final = pl.Schema({
    "break_id": pl.String, "break_class": pl.String, "side": pl.String, "key": pl.String,
    "account_no": pl.String, "value_date": pl.Date, "amount_fen": pl.Int64,
    "difference_fen": pl.Int64, "age_days": pl.Int64, "rule": pl.String,
    "overdue": pl.Boolean,
})
#: ``MatchResult.in_transit``: every unmatched single item (未达账项), overdue or not.
IN_TRANSIT_SCHEMA: Final = pl.Schema({
    "side": pl.String, "key": pl.String, "account_no": pl.String, "value_date": pl.Date,
    "amount_fen": pl.Int64, "age_days": pl.Int64, "overdue": pl.Boolean,
    "direction": pl.String,
})

#: Named defaults of a ``MatchPolicy``.
DATE_TOLERANCE_DAYS_DEFAULT: Final = 1
AMOUNT_TOLERANCE_FEN_DEFAULT: Final = 0
GROUP_WINDOW_DAYS_DEFAULT: Final = 1
GROUP_ITEMS_MAX_DEFAULT: Final = 10_000
#: T+N: money in shows on the other side by the next day; a payout may take two.
ARRIVAL_DAYS_CREDIT_DEFAULT: Final = 1
ARRIVAL_DAYS_DEBIT_DEFAULT: Final = 2
BATCH_REF_SEPARATOR_DEFAULT: Final = "-"


def _refuse_field(error: FieldInvalid) -> ReconcileError:
    return ReconcileError(Refusal.FIELD_INVALID, error.message, **error.details)


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """How loosely rules 2 and 3 match, and how long an item may be in transit (T+N, in calendar
    days, per direction). Checked when built: a bad field is refused ``field_invalid``."""

    date_tolerance_days: int = DATE_TOLERANCE_DAYS_DEFAULT
    amount_tolerance_fen: int = AMOUNT_TOLERANCE_FEN_DEFAULT
    group_window_days: int = GROUP_WINDOW_DAYS_DEFAULT
    group_items_max: int = GROUP_ITEMS_MAX_DEFAULT
    arrival_days_credit: int = ARRIVAL_DAYS_CREDIT_DEFAULT
    arrival_days_debit: int = ARRIVAL_DAYS_DEBIT_DEFAULT
    batch_ref_separator: str = BATCH_REF_SEPARATOR_DEFAULT

    def __post_init__(self) -> None:
        bounds = {
            "date_tolerance_days": (0, limits.match_date_tolerance_days_max),
            "amount_tolerance_fen": (0, limits.match_amount_tolerance_fen_max),
            "group_window_days": (0, limits.match_group_window_days_max),
            "group_items_max": (2, limits.match_group_items_max),
            "arrival_days_credit": (0, limits.match_arrival_days_max),
            "arrival_days_debit": (0, limits.match_arrival_days_max),
        }
        try:
            for name, (low, high) in bounds.items():
                whole_number(getattr(self, name), name, minimum=low, maximum=high)
        except FieldInvalid as error:
            raise _refuse_field(error) from None
        sep = self.batch_ref_separator
        if not (isinstance(sep, str) and len(sep) == 1 and sep.isascii() and sep.isprintable()
                and not sep.isalnum()):
            raise ReconcileError(Refusal.FIELD_INVALID, "batch_ref_separator: one ASCII mark",
                                 field="batch_ref_separator",
                                 reason="must be one printable ASCII character, not a letter "
                                        "or digit")

    def arrival_days(self, direction: Direction) -> int:
        """N of T+N for an item of this direction."""
        if direction is Direction.CREDIT:
            return self.arrival_days_credit
        return self.arrival_days_debit


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What became of every line and item: matched, a break, or in transit.

    ``in_transit`` lists every unmatched single item, those past T+N too (``overdue``): they
    stay 未达账项 for the reports (R-B5 9 and 10) and the R-B3 identities; the overdue ones are
    also raised as ``bank_only``/``book_only`` breaks (with ``overdue`` true there). So each
    line and item is in exactly one of ``matches``, ``breaks`` and ``in_transit`` not overdue:
    ``outcomes()``.

    Which rows are in each frame never depends on the inputs' row order. ``breaks`` and
    ``in_transit`` are sorted; ``matches`` comes as read — the 1:1 pairs' bank rows in the bank
    frame's order, their book rows in the book frame's, then the groups' rows — because sorting
    1.9 M rows by their keys' texts cost more than the passes (sort by ``group_id``, ``side``,
    ``key`` to compare two results).
    """

    matches: pl.DataFrame
    breaks: pl.DataFrame
    in_transit: pl.DataFrame

    def outcomes(self) -> pl.DataFrame:
        """(side, key, outcome) with outcome ``matched``, ``break`` or ``in_transit``: one row
        per line and item."""
        return pl.concat([
            self.matches.select("side", "key", outcome=pl.lit("matched")),
            self.breaks.select("side", "key", outcome=pl.lit("break")),
            self.in_transit.filter(~pl.col("overdue")).select(
                "side", "key", outcome=pl.lit("in_transit")),
        ]).sort("side", "key")

    def break_totals(self) -> pl.DataFrame:
        """One row per break: break_id, break_class, rows, difference_fen."""
        return (self.breaks.group_by("break_id", "break_class")
                .agg(rows=pl.len(), difference_fen=pl.col("difference_fen").first())
                .sort("break_id"))


def bank_frame(lines: Iterable[tuple[str, str, StatementLine]]) -> pl.DataFrame:
    """The statement lines ``(line_key, account_no, line)`` as a ``BANK_SCHEMA`` frame."""
    rows = [(key, account, ln.line_no, ln.value_date, ln.booking_date, ln.direction.value,
             ln.amount_fen, ln.bank_ref, ln.end_to_end_ref, ln.counterparty_account,
             ln.status.value, ln.fee_fen, ln.original_ref)
            for key, account, ln in lines]
    return pl.DataFrame(rows, schema=BANK_SCHEMA, orient="row")


def book_frame(items: Iterable[BookItem]) -> pl.DataFrame:
    """The book items as a ``BOOK_SCHEMA`` frame (key = item_id)."""
    rows = [(it.item_id, it.account_no, it.value_date, it.direction.value, it.amount_fen,
             it.reference, it.counterparty_account, it.status.value, it.fee_fen,
             it.business_class)
            for it in items]
    return pl.DataFrame(rows, schema=BOOK_SCHEMA, orient="row")


#: Statuses and business classes that say an item undoes an earlier one.
_RETURN_STATUSES: Final = (LineStatus.RETURNED.value, LineStatus.REVERSED.value)
_RETURN_CLASSES: Final = ("payout_return", "refund_return")


def _normalized(bank: pl.DataFrame, books: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both sides in ``pairing.SIDE_SCHEMA``: ref is the end-to-end / book reference, ref2 the
    bank reference, is_return whether the item undoes an earlier one."""
    b = bank.select(
        "key", "account_no", "direction", "value_date", "amount_fen", "status", "fee_fen",
        ref=pl.col("end_to_end_ref"), ref2=pl.col("bank_ref"),
        original_ref=pl.col("original_ref"), counterparty=pl.col("counterparty_account"),
        is_return=pl.col("status").is_in(_RETURN_STATUSES))
    k = books.select(
        "key", "account_no", "direction", "value_date", "amount_fen", "status", "fee_fen",
        ref=pl.col("reference"), ref2=pl.lit(""), original_ref=pl.lit(""),
        counterparty=pl.col("counterparty_account"),
        is_return=pl.col("status").is_in(_RETURN_STATUSES)
        | pl.col("business_class").is_in(_RETURN_CLASSES))
    return b, k


def match(bank: pl.DataFrame, books: pl.DataFrame, *, as_of: date,
          policy: MatchPolicy = MatchPolicy()) -> MatchResult:
    """Match a statement's lines (``bank_frame``) against the book items (``book_frame``) of
    the same accounts, as of a day (for ages and T+N)."""
    invariant(bank.schema == BANK_SCHEMA, f"bank frame schema {bank.schema}")
    invariant(books.schema == BOOK_SCHEMA, f"book frame schema {books.schema}")
    invariant(isinstance(as_of, date) and not isinstance(as_of, datetime), "as_of is a date")
    bank_unique, book_unique = pairing.both(lambda: _unique(bank["key"]),
                                            lambda: _unique(books["key"]))
    invariant(bank_unique, "bank line keys are unique")
    invariant(book_unique, "book item keys are unique")
    b, k = _normalized(bank, books)
    try:
        return _passes(pairing.State.start(b, k), as_of, policy)
    except pairing.HashCollision:
        # two unequal references shared a 64-bit hash in what a pass paired: again, exactly
        return _passes(pairing.State.start(b, k, exact=True), as_of, policy)


def _unique(keys: pl.Series) -> bool:
    """No two of ``keys`` equal: for certain when their 64-bit hashes are distinct (counting
    integers is cheaper than counting texts), else counted exactly."""
    return keys.hash().n_unique() == keys.len() or keys.n_unique() == keys.len()


def _passes(state: "pairing.State", as_of: date, policy: MatchPolicy) -> MatchResult:
    state = pairing.duplicates(state)
    state = pairing.by_reference(state)
    state = pairing.by_amount_date(state, policy.date_tolerance_days)
    state = grouping.by_amount_tolerance(state, policy.date_tolerance_days,
                                         policy.amount_tolerance_fen)
    state = grouping.groups(state, policy.group_window_days, policy.group_items_max,
                            policy.batch_ref_separator)
    return _result(state, as_of, policy)


def _age(as_of: date) -> pl.Expr:
    return (pl.lit(as_of, dtype=pl.Date) - pl.col("value_date")).dt.total_days().cast(pl.Int64)


def _result(state: "pairing.State", as_of: date, policy: MatchPolicy) -> MatchResult:
    agree, disagree = pairing.classified_pairs(state)
    matches = pairing.pair_rows(state, agree, ["key", "amount_fen", "account_no"]).select(
        "group_id", "rule", "side", "key", "amount_fen", "account_no")
    if state.grouped.height:
        matches = pl.concat([matches, state.grouped.select(
            "group_id", "rule", "side", "key", "amount_fen", "account_no")])
    pair_breaks = pairing.pair_rows(
        state, disagree, ["key", "account_no", "value_date", "amount_fen"]).select(
        break_id="group_id", break_class="break_class", side="side", key="key",
        account_no="account_no", value_date="value_date", amount_fen="amount_fen",
        difference_fen="difference_fen", age_days=_age(as_of), rule="rule",
        overdue=pl.lit(False))
    lone_status, rest_bank = pairing.lone_returns(state)
    leftovers = pl.concat([
        rest_bank.select("key", "account_no", "direction", "value_date", "amount_fen",
                         side=pl.lit("bank")),
        state.left("book").select("key", "account_no", "direction", "value_date",
                                  "amount_fen", side=pl.lit("book")),
    ])
    arrival = (pl.when(pl.col("direction") == Direction.CREDIT.value)
               .then(pl.lit(policy.arrival_days_credit))
               .otherwise(pl.lit(policy.arrival_days_debit)))
    in_transit = leftovers.with_columns(age_days=_age(as_of)).with_columns(
        overdue=pl.col("age_days") > arrival).select(list(IN_TRANSIT_SCHEMA.names()))
    overdue = in_transit.filter(pl.col("overdue")).select(
        break_id=pl.when(pl.col("side") == "bank").then(pl.lit("b:")).otherwise(pl.lit("k:"))
        + pl.col("key"),
        break_class=pl.when(pl.col("side") == "bank").then(pl.lit(BreakClass.BANK_ONLY.value))
        .otherwise(pl.lit(BreakClass.BOOK_ONLY.value)),
        side="side", key="key", account_no="account_no", value_date="value_date",
        amount_fen="amount_fen",
        difference_fen=pl.when(pl.col("side") == "bank").then(pl.col("amount_fen"))
        .otherwise(-pl.col("amount_fen")),
        age_days="age_days", rule=pl.lit(None, dtype=pl.String), overdue=pl.lit(True))
    lone = lone_status.with_columns(age_days=_age(as_of)).select(list(BREAKS_SCHEMA.names()))
    dupes = state.duplicate_rows.with_columns(age_days=_age(as_of)).select(
        list(BREAKS_SCHEMA.names()))
    breaks = pl.concat([pair_breaks, lone, dupes, overdue], how="vertical_relaxed")
    breaks = breaks.select([pl.col(n).cast(t) for n, t in BREAKS_SCHEMA.items()])
    return MatchResult(
        matches=matches.select([pl.col(n).cast(t) for n, t in MATCHES_SCHEMA.items()]),
        breaks=breaks.sort("break_id", "side", "key"),
        in_transit=in_transit.select([pl.col(n).cast(t) for n, t in IN_TRANSIT_SCHEMA.items()])
        .sort("side", "key"))


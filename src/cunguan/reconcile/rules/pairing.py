"""The passes of the matching engine (``matching.match`` runs them in order): each takes what is
still unmatched and returns it less what it paired. Both sides come normalised to the same
columns (``SIDE_COLUMNS``): ``ref`` is the end-to-end reference of a line or the reference of a
book item, ``ref2`` a line's bank reference (empty on the book side).

Pairing inside an equal key is by rank: the n-th line (in key order) of a key with the n-th
item (in key order) of the same key, so a hash join pairs whole buckets of look-alike items
(a hundred payments of 100.00 on one day) without a cross product, and the result does not
depend on row order.
"""

from dataclasses import dataclass, replace
from typing import Final

import polars as pl

from cunguan.reconcile.rules.match_kinds import BreakClass, MatchRule

SIDE_COLUMNS: Final = ("key", "account_no", "direction", "value_date", "amount_fen", "status",
                       "fee_fen", "ref", "ref2", "original_ref", "counterparty", "is_return")
#: Columns of a break row before its age is known.
_BREAK_ROW: Final = ("break_id", "break_class", "side", "key", "account_no", "value_date",
                     "amount_fen", "difference_fen", "rule", "overdue")
_GROUPED: Final = pl.Schema({"group_id": pl.String, "rule": pl.String, "side": pl.String,
                             "key": pl.String, "amount_fen": pl.Int64, "account_no": pl.String})
_PAIRS: Final = pl.Schema({"rule": pl.String, "bank_key": pl.String, "book_key": pl.String})


@dataclass(frozen=True, slots=True)
class State:
    """Where matching stands: what is left on each side and what has been decided."""

    bank_all: pl.DataFrame
    book_all: pl.DataFrame
    bank: pl.DataFrame            # bank lines not yet decided
    book: pl.DataFrame            # book items not yet decided
    pairs: pl.DataFrame           # 1:1 pairs (rule, bank_key, book_key), classified at the end
    grouped: pl.DataFrame         # rows of matched groups (rules 3)
    duplicate_rows: pl.DataFrame  # break rows (``_BREAK_ROW``) of duplicates

    @staticmethod
    def start(bank: pl.DataFrame, book: pl.DataFrame) -> "State":
        bank, book = bank.select(SIDE_COLUMNS), book.select(SIDE_COLUMNS)
        return State(bank, book, bank, book, _PAIRS.to_frame(), _GROUPED.to_frame(),
                     pl.DataFrame())

    def paired(self, rule: str, pairs: pl.DataFrame) -> "State":
        """Record 1:1 pairs (bank_key, book_key) and take them out of what is left."""
        if pairs.height == 0:
            return self
        return replace(
            self,
            pairs=pl.concat([self.pairs, pairs.select(pl.lit(rule).alias("rule"), "bank_key",
                                                      "book_key")]),
            bank=self.bank.join(pairs.select(key="bank_key"), on="key", how="anti"),
            book=self.book.join(pairs.select(key="book_key"), on="key", how="anti"))

    def grouped_with(self, rows: pl.DataFrame) -> "State":
        """Record matched groups' rows (``_GROUPED``) and take them out of what is left."""
        if rows.height == 0:
            return self
        rows = rows.select(_GROUPED.names())
        return replace(
            self, grouped=pl.concat([self.grouped, rows]),
            bank=self.bank.join(rows.filter(pl.col("side") == "bank").select("key"), on="key",
                                how="anti"),
            book=self.book.join(rows.filter(pl.col("side") == "book").select("key"), on="key",
                                how="anti"))


def rank_pairs(bank: pl.DataFrame, book: pl.DataFrame, bank_on: list[pl.Expr],
               book_on: list[pl.Expr]) -> pl.DataFrame:
    """(bank_key, book_key): the n-th line of each join key with the n-th item of it, both in
    key order."""
    names = [f"_j{i}" for i in range(len(bank_on))]
    left = (bank.lazy().select(pl.col("key").alias("bank_key"),
                               *[e.alias(n) for e, n in zip(bank_on, names, strict=True)])
            .sort("bank_key").with_columns(_r=pl.int_range(pl.len()).over(names)))
    right = (book.lazy().select(pl.col("key").alias("book_key"),
                                *[e.alias(n) for e, n in zip(book_on, names, strict=True)])
             .sort("book_key").with_columns(_r=pl.int_range(pl.len()).over(names)))
    return left.join(right, on=[*names, "_r"], how="inner").select("bank_key", "book_key") \
        .collect()


def _side_id(side: str) -> pl.Expr:
    return pl.lit("b:" if side == "bank" else "k:") + pl.col("key")


def duplicates(state: State) -> State:
    """A second line with the same bank reference on an account, or a second book item with the
    same reference, account and direction, is a duplicate break (the first, in key order,
    stays to be matched)."""
    def extra(frame: pl.DataFrame, ref: str, by: list[str], side: str) -> pl.DataFrame:
        ranked = (frame.lazy().filter(pl.col(ref) != "").sort("key")
                  .with_columns(_r=pl.int_range(pl.len()).over([*by, ref])))
        sign = 1 if side == "bank" else -1
        return ranked.filter(pl.col("_r") > 0).select(
            break_id=_side_id(side), break_class=pl.lit(BreakClass.DUPLICATE.value),
            side=pl.lit(side), key="key", account_no="account_no", value_date="value_date",
            amount_fen="amount_fen", difference_fen=pl.col("amount_fen") * sign,
            rule=pl.lit(None, dtype=pl.String), overdue=pl.lit(False)).collect()
    bank_dupes = extra(state.bank, "ref2", ["account_no"], "bank")
    book_dupes = extra(state.book, "ref", ["account_no", "direction"], "book")
    return replace(
        state, duplicate_rows=pl.concat([bank_dupes, book_dupes]),
        bank=state.bank.join(bank_dupes.select("key"), on="key", how="anti"),
        book=state.book.join(book_dupes.select("key"), on="key", how="anti"))


def by_reference(state: State) -> State:
    """Rule 1: a line's end-to-end reference, then its bank reference, equals a book item's
    reference; same account and direction."""
    keys = [pl.col("account_no"), pl.col("direction")]
    for bank_ref in ("ref", "ref2"):
        bank = state.bank.filter(pl.col(bank_ref) != "")
        book = state.book.filter(pl.col("ref") != "")
        pairs = rank_pairs(bank, book, [*keys, pl.col(bank_ref)], [*keys, pl.col("ref")])
        state = state.paired(MatchRule.REFERENCE.value, pairs)
    return state


def day_offsets(days: int) -> list[int]:
    """0, 1, −1, 2, −2 … ±days: the nearer date first, the later bank date before the
    earlier at the same distance (a bank books after the books more often than before)."""
    return [0] + [sign * d for d in range(1, days + 1) for sign in (1, -1)]


def by_amount_date(state: State, date_days: int) -> State:
    """Rule 2 with equal amounts: same account, direction and amount, the bank's value date
    ``offset`` days after the book's (nearest first), counterparty accounts equal when both are
    given (first the pairs that have both, then those where one side has none)."""
    base = [pl.col("account_no"), pl.col("direction"), pl.col("amount_fen")]
    cp = pl.col("counterparty")
    for offset in day_offsets(date_days):
        book_day = pl.col("value_date") + pl.duration(days=offset)
        modes = ((cp != "", cp != "", True), (cp == "", pl.lit(True), False),
                 (cp != "", cp == "", False))
        for bank_filter, book_filter, with_cp in modes:
            bank, book = state.bank.filter(bank_filter), state.book.filter(book_filter)
            if bank.height == 0 or book.height == 0:
                continue
            extra = [cp] if with_cp else []
            pairs = rank_pairs(bank, book, [*base, pl.col("value_date"), *extra],
                               [*base, book_day, *extra])
            state = state.paired(MatchRule.AMOUNT_DATE.value, pairs)
    return state


def classified_pairs(state: State) -> pl.DataFrame:
    """Both rows of every 1:1 pair with its break class (null when the sides agree) and
    difference: the status first, then the amount, then the fee."""
    bank = state.bank_all.select(
        bank_key="key", b_account="account_no", b_date="value_date", b_amount="amount_fen",
        b_fee="fee_fen", b_return="is_return")
    book = state.book_all.select(
        book_key="key", k_account="account_no", k_date="value_date", k_amount="amount_fen",
        k_fee="fee_fen", k_return="is_return")
    joined = state.pairs.join(bank, on="bank_key").join(book, on="book_key")
    status = pl.col("b_return") != pl.col("k_return")
    amount = pl.col("b_amount") != pl.col("k_amount")
    fee = pl.col("b_fee") != pl.col("k_fee")
    joined = joined.with_columns(
        group_id=pl.lit("b:") + pl.col("bank_key"),
        break_class=pl.when(status).then(pl.lit(BreakClass.STATUS_MISMATCH.value))
        .when(amount).then(pl.lit(BreakClass.AMOUNT_MISMATCH.value))
        .when(fee).then(pl.lit(BreakClass.FEE_MISMATCH.value))
        .otherwise(pl.lit(None, dtype=pl.String)),
        difference_fen=pl.when(status).then(pl.col("b_amount"))
        .when(amount).then(pl.col("b_amount") - pl.col("k_amount"))
        .when(fee).then(pl.col("b_fee") - pl.col("k_fee")).otherwise(pl.lit(0, pl.Int64)))
    common = ["group_id", "rule", "break_class", "difference_fen"]
    return pl.concat([
        joined.select(*common, side=pl.lit("bank"), key="bank_key", amount_fen="b_amount",
                      account_no="b_account", value_date="b_date"),
        joined.select(*common, side=pl.lit("book"), key="book_key", amount_fen="k_amount",
                      account_no="k_account", value_date="k_date"),
    ])


def lone_returns(state: State) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Unmatched returned or reversed lines whose end-to-end or original reference names a book
    item of the other direction on the account (a payout the bank sent back, the books still
    paid): status-mismatch break rows, and the bank lines left."""
    opposite = (pl.when(pl.col("direction") == "credit").then(pl.lit("debit"))
                .otherwise(pl.lit("credit")))
    known = state.book_all.filter(pl.col("ref") != "").select(
        "account_no", "direction", "ref").unique()
    returns = state.bank.filter(pl.col("is_return")).with_columns(_opp=opposite)
    hits = [returns.join(known, left_on=["account_no", "_opp", col],
                         right_on=["account_no", "direction", "ref"], how="semi")
            for col in ("ref", "original_ref")]
    lone = pl.concat(hits).unique("key")
    rows = lone.select(
        break_id=_side_id("bank"), break_class=pl.lit(BreakClass.STATUS_MISMATCH.value),
        side=pl.lit("bank"), key="key", account_no="account_no", value_date="value_date",
        amount_fen="amount_fen", difference_fen="amount_fen",
        rule=pl.lit(None, dtype=pl.String), overdue=pl.lit(False))
    return rows, state.bank.join(lone.select("key"), on="key", how="anti")

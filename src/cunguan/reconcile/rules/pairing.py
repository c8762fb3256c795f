"""The passes of the matching engine (``matching.match`` runs them in order): each takes what is
still unmatched and returns it less what it paired. Both sides come normalised to the same
columns (``SIDE_COLUMNS``): ``ref`` is the end-to-end reference of a line or the reference of a
book item, ``ref2`` a line's bank reference (empty on the book side).

Pairing inside an equal key is by rank: the n-th line (in key order) of a key with the n-th
item (in key order) of the same key, so a hash join pairs whole buckets of look-alike items
(a hundred payments of 100.00 on one day) without a cross product, and the result does not
depend on row order.

Speed (bench/reconcile_bench.py, docs/PERFORMANCE.md): ``State.start`` turns each side once
into a narrow frame of integers (``_encoded``): its row (``_i``), the references, accounts and
counterparty accounts as 64-bit hashes, the direction a boolean. The accounts' hashes are proved
one-to-one first (few values); the references' and counterparties' are trusted and each pass
checks the texts of what it paired (``HashCollision`` makes ``match`` start again on dense
numbers, which are exact). The passes join, rank and take out rows on those integers. Key order
is computed only where it decides: the rank of rows whose join key another row shares
(``_bucketed``; a row alone has rank 0). The texts are read again, by row, only for the result,
each side's in its own frame's order. Each step does its bank half and its book half at once
(``both``).
"""

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Final, TypeVar

import polars as pl

from cunguan.reconcile.rules.match_kinds import BreakClass, MatchRule

SIDE_COLUMNS: Final = ("key", "account_no", "direction", "value_date", "amount_fen", "status",
                       "fee_fen", "ref", "ref2", "original_ref", "counterparty", "is_return")
#: Columns of a break row before its age is known.
_BREAK_ROW: Final = ("break_id", "break_class", "side", "key", "account_no", "value_date",
                     "amount_fen", "difference_fen", "rule", "overdue")
_GROUPED: Final = pl.Schema({"group_id": pl.String, "rule": pl.String, "side": pl.String,
                             "key": pl.String, "amount_fen": pl.Int64, "account_no": pl.String})
_PAIRS: Final = pl.Schema({"rule": pl.String, "bank_i": pl.UInt32, "book_i": pl.UInt32})
#: The narrow frame's columns: the row in the side's frame, the place in key order, the
#: account, the direction (credit true), the references and the counterparty, whether each
#: is given.
_I, _ACCOUNT, _CREDIT = "_i", "_a", "_c"
_REF, _REF2, _ORIGINAL, _CP = "_r", "_r2", "_o", "_cp"
_HAS_REF, _HAS_REF2, _HAS_CP = "_hr", "_hr2", "_hcp"

_T = TypeVar("_T")
_U = TypeVar("_U")
#: One thread beside the caller's, for the book side's half of a step while the caller does
#: the bank side's: Polars releases the GIL while it works, and many of a pass's operations
#: run on one core (a hash, a filter, a gather), so the two sides use both.
_BESIDE: Final = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matching-side")


def both(bank_work: Callable[[], _T], book_work: Callable[[], _U]) -> tuple[_T, _U]:
    """``bank_work()`` and ``book_work()``, at the same time."""
    book = _BESIDE.submit(book_work)
    return bank_work(), book.result()


def _texts(values: Sequence[pl.Series]) -> pl.Series:
    """Every value of ``values``, with the empty text (a book item's bank reference and
    original reference are always empty): empty texts are counted as one."""
    return pl.concat([*[s.rename("v").filter(s != "") for s in values], pl.Series("v", [""])])


def _dense_codes(texts: pl.Series) -> Callable[[str], pl.Expr]:
    """A text's number in the sorted list of ``texts`` (which holds every value coded)."""
    table = texts.unique().sort()
    numbers = pl.int_range(table.len(), dtype=pl.UInt64, eager=True)
    return lambda name: pl.col(name).replace_strict(table, numbers, return_dtype=pl.UInt64)


def _codes(values: Sequence[pl.Series]) -> Callable[[str], pl.Expr]:
    """How to turn a text column into an integer that is equal exactly when the texts are,
    over every value of ``values`` and the empty text: its 64-bit hash when no two of these
    values share one (the usual case), else ``_dense_codes``."""
    texts = _texts(values)
    if texts.hash().n_unique() == texts.n_unique():
        return lambda name: pl.col(name).hash()
    return _dense_codes(texts)


def _hashed(name: str) -> pl.Expr:
    """A text column's 64-bit hash: equal texts, equal hashes; unequal texts almost always
    unequal ones (the passes that trust it check what they paired: ``_check_texts``)."""
    return pl.col(name).hash()


class HashCollision(Exception):
    """Two unequal references shared a 64-bit hash in a pass that trusted it: ``match`` starts
    again with exact numbers (``State.start(exact=True)``)."""


def _check_texts(given: pl.DataFrame, rows: pl.Series, other: pl.DataFrame,
                 other_rows: pl.Series, names: Sequence[tuple[str, str]]) -> None:
    """The texts of ``names`` (a column of ``given``, a column of ``other``) equal, row by row,
    for the rows paired by hash; else ``HashCollision``."""
    for mine, theirs in names:
        if not given[mine].gather(rows).equals(other[theirs].gather(other_rows)):
            raise HashCollision(mine)


def _encoded(bank: pl.DataFrame, book: pl.DataFrame, exact: bool
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both sides as narrow frames of integers (the module's docstring). The references and
    counterparties are hashed without proof unless ``exact`` (proving a million texts
    one-to-one cost more than all the passes' checks of what they paired)."""
    def trusted(values: Sequence[pl.Series]) -> Callable[[str], pl.Expr]:
        return _dense_codes(_texts(values)) if exact else _hashed
    ref = trusted([bank["ref"], bank["ref2"], bank["original_ref"], book["ref"]])
    account = _codes([bank["account_no"], book["account_no"]])
    cp = trusted([bank["counterparty"], book["counterparty"]])

    def encode(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(_I),
            account("account_no").alias(_ACCOUNT),
            (pl.col("direction") == "credit").alias(_CREDIT),
            "value_date", "amount_fen", "is_return",
            ref("ref").alias(_REF), ref("ref2").alias(_REF2),
            ref("original_ref").alias(_ORIGINAL), cp("counterparty").alias(_CP),
            (pl.col("ref") != "").alias(_HAS_REF), (pl.col("ref2") != "").alias(_HAS_REF2),
            (pl.col("counterparty") != "").alias(_HAS_CP))
    return both(lambda: encode(bank), lambda: encode(book))


def _rows(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    return frame.select(pl.all().gather(rows))


def _without(frame: pl.DataFrame, rows: pl.Series, size: int) -> pl.DataFrame:
    """``frame`` (narrow, of a side of ``size`` rows) less the rows numbered ``rows``: a mask
    set by position, no hash table."""
    if rows.len() == 0:
        return frame
    taken = pl.repeat(False, size, dtype=pl.Boolean, eager=True).scatter(rows, True)
    return frame.filter(~taken.gather(frame[_I]))


@dataclass(frozen=True, slots=True)
class State:
    """Where matching stands: what is left on each side and what has been decided. ``bank_all``
    and ``book_all`` are the sides as given (``SIDE_COLUMNS``), ``*_codes`` their narrow
    frames, ``bank`` and ``book`` the narrow rows not yet decided."""

    bank_all: pl.DataFrame
    book_all: pl.DataFrame
    bank_codes: pl.DataFrame
    book_codes: pl.DataFrame
    bank: pl.DataFrame            # bank lines not yet decided (narrow)
    book: pl.DataFrame            # book items not yet decided (narrow)
    pairs: pl.DataFrame           # 1:1 pairs (rule, bank_i, book_i), classified at the end
    grouped: pl.DataFrame         # rows of matched groups (rules 3)
    duplicate_rows: pl.DataFrame  # break rows (``_BREAK_ROW``) of duplicates
    exact: bool                   # codes are dense numbers: nothing paired needs a check

    @staticmethod
    def start(bank: pl.DataFrame, book: pl.DataFrame, *, exact: bool = False) -> "State":
        bank, book = bank.select(SIDE_COLUMNS), book.select(SIDE_COLUMNS)
        bank_codes, book_codes = _encoded(bank, book, exact)
        return State(bank, book, bank_codes, book_codes, bank_codes, book_codes,
                     _PAIRS.to_frame(), _GROUPED.to_frame(), pl.DataFrame(), exact)

    def check_pairs(self, pairs: pl.DataFrame, names: Sequence[tuple[str, str]]) -> None:
        """Pairs found on hashed ``names`` (bank column, book column) have equal texts."""
        if not self.exact:
            _check_texts(self.bank_all, pairs["bank_i"], self.book_all, pairs["book_i"], names)

    def left(self, side: str) -> pl.DataFrame:
        """The rows of a side not yet decided, as given."""
        if side == "bank":
            return _rows(self.bank_all, self.bank[_I])
        return _rows(self.book_all, self.book[_I])

    def paired(self, rule: str, pairs: pl.DataFrame) -> "State":
        """Record 1:1 pairs (bank_i, book_i) and take them out of what is left."""
        if pairs.height == 0:
            return self
        bank, book = both(lambda: _without(self.bank, pairs["bank_i"], self.bank_all.height),
                          lambda: _without(self.book, pairs["book_i"], self.book_all.height))
        return replace(
            self,
            pairs=pl.concat([self.pairs, pairs.select(pl.lit(rule).alias("rule"), "bank_i",
                                                      "book_i")]),
            bank=bank, book=book)

    def grouped_with(self, rows: pl.DataFrame) -> "State":
        """Record matched groups' rows (``_GROUPED``) and take them out of what is left."""
        if rows.height == 0:
            return self
        rows = rows.select(_GROUPED.names())

        def taken(frame: pl.DataFrame, side: str) -> pl.DataFrame:
            keys = rows.filter(pl.col("side") == side).select("key")
            return frame.with_row_index(_I).join(keys, on="key", how="semi").select(_I)
        return replace(
            self, grouped=pl.concat([self.grouped, rows]),
            bank=self.bank.join(taken(self.bank_all, "bank"), on=_I, how="anti"),
            book=self.book.join(taken(self.book_all, "book"), on=_I, how="anti"))


def _bucketed(frame: pl.DataFrame, names: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``frame`` split into the rows whose ``names`` no other row shares, and the rest: rows
    whose hash of ``names`` is unique are alone for certain; a hash shared (by equal values or,
    rarely, by chance) sends its rows to the exact path."""
    hashed = frame.with_columns(_h=pl.struct(names).hash())
    ordered = hashed["_h"].sort()   # a sort finds repeated hashes faster than a hash table
    repeated = ordered.filter(ordered == ordered.shift(1)).unique()
    if repeated.len() == 0:
        return hashed, hashed.clear()
    shared = pl.col("_h").is_in(repeated.implode())
    return hashed.filter(~shared), hashed.filter(shared)


def _in_key_order(rows: pl.DataFrame, keys: pl.Series) -> pl.DataFrame:
    """``rows`` (of a side whose keys are ``keys``) sorted by their keys."""
    return rows.with_columns(pl.lit(keys.gather(rows[_I])).alias("_key")).sort("_key") \
        .drop("_key")


def _first_seen_first(rows: pl.DataFrame, given: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (of ``given``'s side) by value date, then by key: the first seen first."""
    seen = given["value_date"].gather(rows[_I])
    return rows.with_columns(pl.lit(seen).alias("_seen"),
                             pl.lit(given["key"].gather(rows[_I])).alias("_key")) \
        .sort("_seen", "_key").drop("_seen", "_key")


def _ranked(frame: pl.DataFrame, names: list[str], on: list[pl.Expr],
            keys: pl.Series) -> pl.DataFrame:
    """``frame``'s rows and join key, with the rank (``_n``, in key order) among the rows of
    the same join key, and ``_hn``: a hash of both (equal when they are)."""
    keyed = frame.select(_I, *[e.alias(n) for e, n in zip(on, names, strict=True)])
    alone, shared = _bucketed(keyed, names)
    # A row alone keeps its hash; a ranked one hashes it with its rank (equal when both are).
    return pl.concat([
        alone.select(_I, *names, _n=pl.lit(0, pl.UInt32), _hn="_h"),
        _in_key_order(shared, keys).with_columns(
            _n=pl.int_range(pl.len(), dtype=pl.UInt32).over(names)).select(
            _I, *names, "_n", _hn=pl.struct("_h", "_n").hash()),
    ])


def rank_pairs(state: State, bank: pl.DataFrame, book: pl.DataFrame, bank_on: list[pl.Expr],
               book_on: list[pl.Expr]) -> pl.DataFrame:
    """(bank_i, book_i): the n-th line of each join key with the n-th item of it, both in
    key order. Joined on one hash of key and rank, then kept only where both are equal."""
    names = [f"_j{i}" for i in range(len(bank_on))]
    left, right = both(
        lambda: _ranked(bank, names, bank_on, state.bank_all["key"]).rename({_I: "bank_i"}),
        lambda: _ranked(book, names, book_on, state.book_all["key"]).rename({_I: "book_i"}))
    equal = pl.all_horizontal([pl.col(n) == pl.col(f"{n}_right") for n in [*names, "_n"]])
    return left.join(right, on="_hn", how="inner").filter(equal).select("bank_i", "book_i")


def _side_id(side: str) -> pl.Expr:
    return pl.lit("b:" if side == "bank" else "k:") + pl.col("key")


def _check_groups(rows: pl.DataFrame, given: pl.DataFrame, by: list[str], text: str) -> None:
    """Rows grouped on the hashed ``by`` share one ``text`` in each group; else
    ``HashCollision``."""
    texts = rows.select(*by, pl.lit(given[text].gather(rows[_I])).alias("_t"))
    if texts.group_by(by).agg(pl.col("_t").n_unique())["_t"].max() not in (None, 1):
        raise HashCollision(text)


def duplicates(state: State) -> State:
    """A second line with the same bank reference on an account, or a second book item with the
    same reference, account and direction, is a duplicate break (the first seen stays to be
    matched: the earliest value date, then key order — a line the bank sends again is the
    duplicate, not the one waiting in transit since)."""
    def extra(codes: pl.DataFrame, given: pl.DataFrame, has: str, by: list[str],
              text: str, side: str) -> tuple[pl.Series, pl.DataFrame]:
        _, shared = _bucketed(codes.filter(pl.col(has)), by)
        if not state.exact:
            _check_groups(shared, given, by, text)
        later = _first_seen_first(shared, given).filter(
            ~pl.struct(by).is_first_distinct())[_I]
        sign = 1 if side == "bank" else -1
        return later, _rows(given, later).select(
            break_id=_side_id(side), break_class=pl.lit(BreakClass.DUPLICATE.value),
            side=pl.lit(side), key="key", account_no="account_no", value_date="value_date",
            amount_fen="amount_fen", difference_fen=pl.col("amount_fen") * sign,
            rule=pl.lit(None, dtype=pl.String), overdue=pl.lit(False))
    (bank_later, bank_dupes), (book_later, book_dupes) = both(
        lambda: extra(state.bank, state.bank_all, _HAS_REF2, [_ACCOUNT, _REF2], "ref2", "bank"),
        lambda: extra(state.book, state.book_all, _HAS_REF, [_ACCOUNT, _CREDIT, _REF], "ref",
                      "book"))
    return replace(
        state, duplicate_rows=pl.concat([bank_dupes, book_dupes]),
        bank=_without(state.bank, bank_later, state.bank_all.height),
        book=_without(state.book, book_later, state.book_all.height))


def by_reference(state: State) -> State:
    """Rule 1: a line's end-to-end reference, then its bank reference, equals a book item's
    reference; same account and direction."""
    keys = [pl.col(_ACCOUNT), pl.col(_CREDIT)]
    for bank_ref, has, text in ((_REF, _HAS_REF, "ref"), (_REF2, _HAS_REF2, "ref2")):
        bank = state.bank.filter(pl.col(has))
        book = state.book.filter(pl.col(_HAS_REF))
        pairs = rank_pairs(state, bank, book, [*keys, pl.col(bank_ref)],
                           [*keys, pl.col(_REF)])
        state.check_pairs(pairs, [(text, "ref")])
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
    base = [pl.col(_ACCOUNT), pl.col(_CREDIT), pl.col("amount_fen")]
    has = pl.col(_HAS_CP)
    for offset in day_offsets(date_days):
        book_day = pl.col("value_date") + pl.duration(days=offset)
        modes = ((has, has, True), (~has, pl.lit(True), False), (has, ~has, False))
        for bank_filter, book_filter, with_cp in modes:
            bank, book = state.bank.filter(bank_filter), state.book.filter(book_filter)
            if bank.height == 0 or book.height == 0:
                continue
            extra = [pl.col(_CP)] if with_cp else []
            pairs = rank_pairs(state, bank, book, [*base, pl.col("value_date"), *extra],
                               [*base, book_day, *extra])
            if with_cp:
                state.check_pairs(pairs, [("counterparty", "counterparty")])
            state = state.paired(MatchRule.AMOUNT_DATE.value, pairs)
    return state


def classified_pairs(state: State) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every 1:1 pair (rule, bank_i, book_i), split: the pairs whose sides agree, and those
    that disagree with their break class and difference — the status first, then the amount,
    then the fee. Classes and differences are worked out only for the (few) that disagree."""
    pairs = state.pairs.sort("bank_i")
    bank, book = state.bank_all, state.book_all

    columns = ("is_return", "amount_fen", "fee_fen")
    (b_return, b_amount, b_fee), (k_return, k_amount, k_fee) = both(
        lambda: [bank[name].gather(pairs["bank_i"]) for name in columns],
        lambda: [book[name].gather(pairs["book_i"]) for name in columns])
    differ = (b_return != k_return) | (b_amount != k_amount) | (b_fee != k_fee)
    agree = pairs.filter(~differ)
    split = pl.DataFrame([b_return != k_return, b_amount, k_amount, b_fee, k_fee],
                         schema=["status", "b_amount", "k_amount", "b_fee", "k_fee"]
                         ).filter(differ)
    # a pair here differs in its status, else its amount, else (otherwise) its fee
    status, amount = pl.col("status"), pl.col("b_amount") != pl.col("k_amount")
    disagree = pl.concat([pairs.filter(differ), split.select(
        break_class=pl.when(status).then(pl.lit(BreakClass.STATUS_MISMATCH.value))
        .when(amount).then(pl.lit(BreakClass.AMOUNT_MISMATCH.value))
        .otherwise(pl.lit(BreakClass.FEE_MISMATCH.value)),
        difference_fen=pl.when(status).then(pl.col("b_amount"))
        .when(amount).then(pl.col("b_amount") - pl.col("k_amount"))
        .otherwise(pl.col("b_fee") - pl.col("k_fee")))], how="horizontal")
    return agree, disagree


def pair_rows(state: State, pairs: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """Both rows of each pair of ``pairs`` (``classified_pairs``' columns): ``group_id`` (``b:``
    and the bank line's key), ``side``, the pair's columns and the given ``names`` of the row
    itself; the bank rows in the bank frame's row order, then the book rows in the book
    frame's. (Each side's own columns are read in its frame's order: gathering a million
    texts at random places costs several times more.)"""
    extra = [name for name in pairs.columns if name not in ("bank_i", "book_i")]
    bank_keys = state.bank_all["key"]

    def side(name: str, frame: pl.DataFrame, rows: str) -> pl.DataFrame:
        ordered = pairs.sort(rows)
        return pl.DataFrame([
            pl.select(pl.lit("b:") + pl.lit(bank_keys.gather(ordered["bank_i"])))
            .to_series().rename("group_id"),
            pl.repeat(name, ordered.height, dtype=pl.String, eager=True).rename("side"),
            *[ordered[column] for column in extra],
            *[frame[column].gather(ordered[rows]) for column in names]])
    return pl.concat(both(lambda: side("bank", state.bank_all, "bank_i"),
                          lambda: side("book", state.book_all, "book_i")))


def _naming(returns: pl.DataFrame, known: pl.DataFrame, account: str, ref: str,
            original: str) -> pl.DataFrame:
    """The ``returns`` whose reference or original reference is a ``known`` item's (same
    account, other direction): their rows ``_I``."""
    hits = [returns.join(known, left_on=[account, "_opp", col], right_on=[account, _CREDIT, ref],
                         how="semi") for col in (ref, original)]
    return pl.concat([h.select(_I) for h in hits]).unique(_I)


def lone_returns(state: State) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Unmatched returned or reversed lines whose end-to-end or original reference names a book
    item of the other direction on the account (a payout the bank sent back, the books still
    paid): status-mismatch break rows, and the bank lines left (as given)."""
    returns = state.bank.filter(pl.col("is_return")).with_columns(_opp=~pl.col(_CREDIT))
    # The book items the returns could name, found from the (few) returns' side first.
    named = pl.concat([returns.select(_ACCOUNT, _CREDIT, _REF),
                       returns.select(_ACCOUNT, _CREDIT, pl.col(_ORIGINAL).alias(_REF))])
    candidates = state.book_codes.filter(pl.col(_HAS_REF)).join(
        named.select(_ACCOUNT, ~pl.col(_CREDIT), _REF).unique(), on=[_ACCOUNT, _CREDIT, _REF],
        how="semi")
    lone = _naming(returns, candidates.select(_ACCOUNT, _CREDIT, _REF).unique(),
                   _ACCOUNT, _REF, _ORIGINAL)
    if not state.exact:
        texts = _naming(_rows(state.bank_all, lone[_I]).select(
            pl.lit(lone[_I]).alias(_I), _ACCOUNT=pl.col("account_no"), ref="ref",
            original_ref="original_ref", _opp=pl.col("direction") != "credit"),
            _rows(state.book_all, candidates[_I]).select(
                _ACCOUNT=pl.col("account_no"), ref="ref",
                **{_CREDIT: pl.col("direction") == "credit"}),
            "_ACCOUNT", "ref", "original_ref")
        if texts.height != lone.height:
            raise HashCollision("ref")
    rows = _rows(state.bank_all, lone[_I]).select(
        break_id=_side_id("bank"), break_class=pl.lit(BreakClass.STATUS_MISMATCH.value),
        side=pl.lit("bank"), key="key", account_no="account_no", value_date="value_date",
        amount_fen="amount_fen", difference_fen="amount_fen",
        rule=pl.lit(None, dtype=pl.String), overdue=pl.lit(False))
    rest = state.bank.join(lone.select(_I), on=_I, how="anti")
    return rows, _rows(state.bank_all, rest[_I])

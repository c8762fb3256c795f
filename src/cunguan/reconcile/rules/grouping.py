"""The matching engine's last passes (``matching.match`` runs them after the exact ones of
``pairing``): rule 2 within an amount tolerance, and rule 3's groups, 1:N and N:1.

Both run over what is still unmatched (a few percent of the rows in a usual run), on the rows
as given (texts, not ``pairing``'s integer codes), vectorised: hash joins and group sums, and a
choice among competing candidates (``_chosen``) that repeats whole-frame steps, never a loop
over rows.

``_chosen`` (and ``_chosen_counted``, its form for classes of look-alike rows) takes, from
candidate pairs under a total order (the order's last columns are the keys, so it never
depends on row order), the pairs that are each side's best; takes those sides out; and repeats
until no candidate is left. That is exactly what taking the best pair first, one at a time,
would give (a pair both of whose sides rank it first is taken by that greedy too, and nothing
taken later could have displaced it). Each round takes at least one pair (``_chosen_counted``:
empties at least one class), so the rounds are at most the classes of look-alike rows (rule
2's tolerance) or the groups of one account, direction, key and sum (rule 3).
"""

from typing import Final

import polars as pl

from cunguan.reconcile.rules.match_kinds import MatchRule
from cunguan.reconcile.rules.pairing import State, day_offsets

__all__ = ["by_amount_tolerance", "groups"]

#: The column of ``pairing``'s narrow frames holding a row's number in its side's frame.
_ROW: Final = "_i"
#: The sides of a group: (rule, the single side, the members' side).
_GROUP_KINDS: Final = ((MatchRule.GROUP_ONE_TO_MANY.value, "bank", "book"),
                       (MatchRule.GROUP_MANY_TO_ONE.value, "book", "bank"))
#: The group keys, in the order tried: the reference's batch prefix, the counterparty.
_KEY_KINDS: Final = ("batch", "counterparty")


def _left(state: State, side: str) -> pl.DataFrame:
    """The rows of a side not yet decided, as given, with their row number (``_ROW``)."""
    rows = state.bank if side == "bank" else state.book
    return state.left(side).with_columns(rows[_ROW])


def _chosen(candidates: pl.DataFrame, one: list[str], other: list[str],
            order: list[str]) -> pl.DataFrame:
    """The candidates taken, best first under ``order`` (a total order), each ``one`` and each
    ``other`` at most once: the module's docstring."""
    ranked = candidates.sort(order).with_row_index("_o")
    taken = []
    while ranked.height:
        best = ranked.filter((pl.col("_o") == pl.col("_o").min().over(one))
                             & (pl.col("_o") == pl.col("_o").min().over(other)))
        taken.append(best)
        ranked = (ranked.join(best.select(one), on=one, how="anti")
                  .join(best.select(other), on=other, how="anti"))
    if not taken:
        return candidates.clear()
    return pl.concat(taken).drop("_o")


#: What makes rows look alike to the tolerance pass: rows equal in all of these are
#: interchangeable there (a class), taken in key order.
_LOOK_ALIKE: Final = ("account_no", "direction", "value_date", "amount_fen", "counterparty")


def _classes(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The classes of look-alike ``rows`` (one row each: the look-alike columns, ``_ck`` the
    smallest key, ``_cap`` how many), and ``rows`` (row number and key) with their class and
    their rank in it (``_r``, in key order)."""
    alike = list(_LOOK_ALIKE)
    # A row whose hash of the look-alike columns no other row shares is alone for certain;
    # the rest (look-alikes, or rarely a shared hash) are classed exactly, on the texts.
    hashed = rows.with_columns(_h=pl.struct(alike).hash())
    hashed = hashed.with_columns(_alone=pl.len().over("_h") == 1)
    alone = hashed.filter(pl.col("_alone")).with_columns(
        _ck=pl.col("key"), _cap=pl.lit(1, pl.Int64), _r=pl.lit(0, pl.Int64))
    shared = hashed.filter(~pl.col("_alone")).with_columns(
        _ck=pl.col("key").min().over(alike), _cap=pl.len().over(alike).cast(pl.Int64),
        _r=(pl.col("key").rank("ordinal").over(alike) - 1).cast(pl.Int64))
    ranked = pl.concat([alone, shared]).drop("_h", "_alone")
    return ranked.filter(pl.col("_r") == 0), ranked.select(_ROW, "_ck", "_r")


def _rows_of(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    return frame.select(pl.all().gather(rows))


def _chosen_counted(candidates: pl.DataFrame, order: list[str]) -> pl.DataFrame:
    """``_chosen`` over classes (``b_ck``, ``k_ck``, capacities ``b_cap``, ``k_cap``): the
    best pair of classes takes as many pairs as the smaller has left, which empties it.
    Returns (``b_ck``, ``k_ck``, ``b_from``, ``k_from``, ``_take``): rows ``b_from`` … of the
    bank class with rows ``k_from`` … of the book class, ``_take`` of them."""
    ranked = candidates.sort(order).with_row_index("_o")
    used_b = candidates.select("b_ck", "b_cap").unique().with_columns(_u=pl.lit(0, pl.Int64))
    used_k = candidates.select("k_ck", "k_cap").unique().with_columns(_u=pl.lit(0, pl.Int64))
    taken = []
    while ranked.height:
        best = ranked.filter((pl.col("_o") == pl.col("_o").min().over("b_ck"))
                             & (pl.col("_o") == pl.col("_o").min().over("k_ck"))).select(
            "b_ck", "k_ck").join(used_b.select("b_ck", "b_cap", b_from="_u"), on="b_ck").join(
            used_k.select("k_ck", "k_cap", k_from="_u"), on="k_ck").with_columns(
            _take=pl.min_horizontal(pl.col("b_cap") - pl.col("b_from"),
                                    pl.col("k_cap") - pl.col("k_from")))
        taken.append(best.select("b_ck", "k_ck", "b_from", "k_from", "_take"))
        used_b = used_b.join(best.select("b_ck", "_take"), on="b_ck", how="left").select(
            "b_ck", "b_cap", _u=pl.col("_u") + pl.col("_take").fill_null(0))
        used_k = used_k.join(best.select("k_ck", "_take"), on="k_ck", how="left").select(
            "k_ck", "k_cap", _u=pl.col("_u") + pl.col("_take").fill_null(0))
        ranked = (ranked.join(used_b.filter(pl.col("_u") == pl.col("b_cap")).select("b_ck"),
                              on="b_ck", how="anti")
                  .join(used_k.filter(pl.col("_u") == pl.col("k_cap")).select("k_ck"),
                        on="k_ck", how="anti"))
    return pl.concat(taken)


def by_amount_tolerance(state: State, date_days: int, tolerance_fen: int) -> State:
    """Rule 2 within the amount tolerance (after the exact passes; nothing when it is 0): a
    line and an item of the same account and direction, the bank's value date at most
    ``date_days`` from the book's, counterparty accounts equal when both are given, amounts at
    most ``tolerance_fen`` apart. The nearest amounts first, then the nearer date (as the
    exact passes: ``day_offsets``), then a pair whose counterparties were both given and
    equal, then the keys. The pair is recorded under rule ``amount_date``; its sides disagree,
    so it is classified a break (``amount_mismatch``, unless the status differs).

    Candidates are found by hash joins, not a cross product: amounts in buckets of
    ``tolerance_fen`` + 1 fen, a pair within tolerance lies in the same bucket or the next.
    Look-alike rows (``_LOOK_ALIKE``) are paired as classes (by their smallest key), the n-th
    of one with the n-th of the other in key order, so a hundred look-alike lines against a
    hundred look-alike items are one candidate, not ten thousand.
    """
    if tolerance_fen == 0 or state.bank.height == 0 or state.book.height == 0:
        return state
    width = tolerance_fen + 1
    offsets = pl.DataFrame({"_d": day_offsets(date_days)}, schema={"_d": pl.Int32}) \
        .with_row_index("_day_rank")
    buckets = pl.DataFrame({"_b": [-1, 0, 1]}, schema={"_b": pl.Int64})
    bank_classes, bank_rows = _classes(_left(state, "bank"))
    book_classes, book_rows = _classes(_left(state, "book"))
    # Candidates are found on integers (the row of a class, a hash of account and direction),
    # then checked on the values: a hash shared by chance adds a candidate, never loses one.
    where = pl.struct("account_no", "direction").hash()
    bank = bank_classes.with_row_index("_bx").select(
        "_bx", _ad=where, _date="value_date", _bucket=pl.col("amount_fen") // width)
    book = book_classes.with_row_index("_kx").select(
        "_kx", "value_date", _ad=where, _bucket0=pl.col("amount_fen") // width)
    # Each item under every bank date and amount bucket a line within tolerance could have.
    reach = book.join(offsets, how="cross").join(buckets, how="cross").select(
        "_kx", "_ad", "_day_rank", _date=pl.col("value_date") + pl.duration(days=pl.col("_d")),
        _bucket=pl.col("_bucket0") + pl.col("_b"))
    found = bank.join(reach, on=["_ad", "_date", "_bucket"]).select("_bx", "_kx", "_day_rank")
    b_side = pl.concat([found.select("_bx"), _rows_of(bank_classes, found["_bx"]).select(
        "account_no", "direction", b_ck="_ck", b_cap="_cap", b_amount="amount_fen",
        b_cp="counterparty")], how="horizontal")
    k_side = _rows_of(book_classes, found["_kx"]).select(
        k_account="account_no", k_direction="direction", k_ck="_ck", k_cap="_cap",
        k_amount="amount_fen", k_cp="counterparty")
    both_cp = (pl.col("b_cp") != "") & (pl.col("k_cp") != "")
    candidates = pl.concat([b_side, k_side, found.select("_day_rank")], how="horizontal").filter(
        pl.col("account_no") == pl.col("k_account"), pl.col("direction") == pl.col("k_direction"),
        (pl.col("b_amount") - pl.col("k_amount")).abs() <= tolerance_fen,
        ~both_cp | (pl.col("b_cp") == pl.col("k_cp")),
    ).with_columns(_gap=(pl.col("b_amount") - pl.col("k_amount")).abs(),
                   _one_cp=~both_cp)
    if candidates.height == 0:
        return state
    taken = _chosen_counted(candidates, ["_gap", "_day_rank", "_one_cp", "b_ck", "k_ck"]) \
        .with_row_index("_t")

    def side(rows: pl.DataFrame, ck: str, start: str, row: str) -> pl.DataFrame:
        return rows.join(taken, left_on="_ck", right_on=ck).filter(
            pl.col("_r") >= pl.col(start), pl.col("_r") < pl.col(start) + pl.col("_take"),
        ).select("_t", _j=pl.col("_r") - pl.col(start), **{row: _ROW})
    pairs = side(bank_rows, "b_ck", "b_from", "bank_i").join(
        side(book_rows, "k_ck", "k_from", "book_i"), on=["_t", "_j"])
    return state.paired(MatchRule.AMOUNT_DATE.value, pairs.select("bank_i", "book_i"))


def _group_key(kind: str, separator: str) -> pl.Expr:
    """A row's group key of a kind ("" when it has none): the batch prefix of its reference
    (a line's end-to-end reference, else its bank reference), up to the first ``separator``;
    or its counterparty account."""
    if kind == "counterparty":
        return pl.col("counterparty")
    ref = pl.when(pl.col("ref") != "").then(pl.col("ref")).otherwise(pl.col("ref2"))
    return ref.str.split(separator).list.first()


def _groups_of(state: State, rule: str, single: str, member: str, kind: str,
               window_days: int, items_max: int, separator: str) -> State:
    """One pass of rule 3: groups of ``member`` rows against one ``single`` row, keyed by
    ``kind`` (``groups``)."""
    on = ["account_no", "direction", "_gkey"]

    def usable(side: str) -> pl.DataFrame:
        return _left(state, side).with_columns(_gkey=_group_key(kind, separator)).filter(
            pl.col("_gkey") != "", ~pl.col("is_return"))
    members = usable(member)
    sums = members.group_by(*on, "value_date").agg(
        _sum=pl.col("amount_fen").sum(), _n=pl.len()).filter(
        pl.col("_n").is_between(2, items_max))
    singles = usable(single).select(*on, "value_date", "amount_fen", _one=_ROW, _one_key="key")
    if sums.height == 0 or singles.height == 0:
        return state
    candidates = singles.join(sums.rename({"value_date": "_m_date"}),
                              left_on=[*on, "amount_fen"], right_on=[*on, "_sum"]).with_columns(
        _lag=(pl.col("value_date") - pl.col("_m_date")).dt.total_days()).filter(
        pl.col("_lag").is_between(0, window_days))
    chosen = _chosen(candidates, ["_one"], [*on, "_m_date"], ["_lag", "_one_key", "_m_date"])
    if chosen.height == 0:
        return state
    prefix = "b:" if single == "bank" else "k:"
    group_id = pl.lit(prefix) + pl.col("_one_key")
    one_rows = chosen.select(group_id=group_id, rule=pl.lit(rule), side=pl.lit(single),
                             key="_one_key", amount_fen="amount_fen", account_no="account_no")
    member_rows = members.join(chosen.select(*on, "_one_key", value_date="_m_date"),
                               on=[*on, "value_date"]).select(
        group_id=group_id, rule=pl.lit(rule), side=pl.lit(member), key="key",
        amount_fen="amount_fen", account_no="account_no")
    return state.grouped_with(pl.concat([one_rows, member_rows]))


def groups(state: State, window_days: int, items_max: int, separator: str) -> State:
    """Rule 3: one row of a side against ``2..items_max`` rows of the other (``group_1n``: one
    bank line, several book items; ``group_n1``: several lines, one item) of the same account,
    direction and group key (the batch prefix of the reference, then, in a second pass, the
    counterparty account: ``_group_key``), all of one value date at most ``window_days`` before
    the single row's, summing exactly to its amount. Returned or reversed rows are left to the
    status checks. Among competing groups the nearer date first, then the single row's key.
    """
    for kind in _KEY_KINDS:
        for rule, single, member in _GROUP_KINDS:
            if state.bank.height == 0 or state.book.height == 0:
                return state
            state = _groups_of(state, rule, single, member, kind, window_days, items_max,
                               separator)
    return state

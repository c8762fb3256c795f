"""Matching's last passes (issue 21): rule 2 within an amount tolerance and rule 3's groups
(``cunguan.reconcile.rules.grouping``) on frames where nothing is left to the exact passes,
against a plain Polars group-sum-and-join of the same frames, in the same run; medians of
``ROUNDS``.

The frames (accounts and directions spread): ``BATCHES`` bank lines each settling a batch of
``BATCH_ITEMS`` book items of the day before (``PAY…`` and ``PAY…-k``: rule 3, 1:N by batch
prefix); ``SPLITS`` book items each settled by ``SPLIT_LINES`` bank lines of one counterparty
(rule 3, N:1 by counterparty); ``TOLERANCE_PAIRS`` lines 1..50 fen off an item (rule 2 within
``TOLERANCE_FEN``). Amounts are such that no exact pass pairs anything. The bench fails unless
exactly these groups and pairs are found.

Run alone with ``PYTHONPATH=src python -m bench.grouping_bench`` (writes
bench/results/grouping.json), or with the rest by ``make bench``.
"""

import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import polars as pl

from cunguan.reconcile.rules import grouping, matching, pairing

BATCHES = 20_000
BATCH_ITEMS = 5
SPLITS = 20_000
SPLIT_LINES = 4
TOLERANCE_PAIRS = 20_000
TOLERANCE_FEN = 100
ACCOUNTS = 20
AS_OF = date(2026, 12, 7)
DAY = AS_OF - timedelta(days=1)
ROUNDS = 5
SEED = 21


def _timed(work: Callable[[], Any], rounds: int) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(rounds):
        out = None
        gc.collect()
        start = time.perf_counter()
        out = work()
        times.append(time.perf_counter() - start)
    return times, out


def _account(i: pl.Expr) -> pl.Expr:
    return pl.lit("ACC") + (i % ACCOUNTS).cast(pl.String).str.zfill(2)


def _direction(i: pl.Expr) -> pl.Expr:
    return pl.when(i % 2 == 0).then(pl.lit("credit")).otherwise(pl.lit("debit"))


def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(bank, books), shuffled with ``SEED``."""
    i, k = pl.col("i"), pl.col("k")

    def grid(count: int, per: int) -> pl.DataFrame:
        return pl.DataFrame({"i": pl.int_range(count, eager=True)}).join(
            pl.DataFrame({"k": pl.int_range(per, eager=True)}), how="cross")
    batch = grid(BATCHES, BATCH_ITEMS).with_columns(
        amount_fen=1_000_000 + i * 10 + k, batch=pl.lit("PAY") + i.cast(pl.String).str.zfill(7))
    batch_items = batch.select(
        key=pl.lit("KB") + i.cast(pl.String).str.zfill(7) + "-" + k.cast(pl.String),
        account_no=_account(i), value_date=pl.lit(DAY - timedelta(days=1)),
        direction=_direction(i), amount_fen="amount_fen",
        reference=pl.col("batch") + "-" + k.cast(pl.String), counterparty_account=pl.lit(""))
    batch_lines = batch.group_by("i", "batch").agg(pl.col("amount_fen").sum()).select(
        key=pl.lit("SB") + i.cast(pl.String).str.zfill(7), account_no=_account(i),
        value_date=pl.lit(DAY), direction=_direction(i), amount_fen="amount_fen",
        end_to_end_ref="batch", counterparty_account=pl.lit(""))
    split = grid(SPLITS, SPLIT_LINES).with_columns(
        amount_fen=20_000_000 + i * 10 + k, cp=pl.lit("6222") + i.cast(pl.String).str.zfill(9))
    split_lines = split.select(
        key=pl.lit("SS") + i.cast(pl.String).str.zfill(7) + "-" + k.cast(pl.String),
        account_no=_account(i), value_date=pl.lit(DAY), direction=_direction(i),
        amount_fen="amount_fen", end_to_end_ref=pl.lit(""), counterparty_account="cp")
    split_items = split.group_by("i", "cp").agg(pl.col("amount_fen").sum()).select(
        key=pl.lit("KS") + i.cast(pl.String).str.zfill(7), account_no=_account(i),
        value_date=pl.lit(DAY), direction=_direction(i), amount_fen="amount_fen",
        reference=pl.lit(""), counterparty_account="cp")
    tol = pl.DataFrame({"i": pl.int_range(TOLERANCE_PAIRS, eager=True)}).with_columns(
        amount_fen=200_000_000 + i * 1_000, cp=pl.lit("6228") + i.cast(pl.String).str.zfill(9))
    tol_items = tol.select(
        key=pl.lit("KT") + i.cast(pl.String).str.zfill(7), account_no=_account(i),
        value_date=pl.lit(DAY), direction=_direction(i), amount_fen="amount_fen",
        reference=pl.lit(""), counterparty_account="cp")
    tol_lines = tol.select(
        key=pl.lit("ST") + i.cast(pl.String).str.zfill(7), account_no=_account(i),
        value_date=pl.lit(DAY), direction=_direction(i),
        amount_fen=pl.col("amount_fen") + 1 + i % 50, end_to_end_ref=pl.lit(""),
        counterparty_account="cp")
    lines = pl.concat([batch_lines, split_lines, tol_lines], how="diagonal_relaxed")
    bank = lines.with_row_index("line_no", offset=1).select(
        "key", "account_no", pl.col("line_no").cast(pl.Int64), "value_date",
        booking_date="value_date", direction="direction", amount_fen="amount_fen",
        bank_ref=pl.lit("BK") + pl.col("key"), end_to_end_ref="end_to_end_ref",
        counterparty_account="counterparty_account", status=pl.lit("booked"),
        fee_fen=pl.lit(0), original_ref=pl.lit(""))
    books = pl.concat([batch_items, split_items, tol_items], how="diagonal_relaxed").select(
        "key", "account_no", "value_date", "direction", "amount_fen", "reference",
        "counterparty_account", status=pl.lit("booked"), fee_fen=pl.lit(0),
        business_class=pl.lit(""))
    bank = bank.select([pl.col(n).cast(t) for n, t in matching.BANK_SCHEMA.items()])
    books = books.select([pl.col(n).cast(t) for n, t in matching.BOOK_SCHEMA.items()])
    return (bank.sample(fraction=1.0, shuffle=True, seed=SEED),
            books.sample(fraction=1.0, shuffle=True, seed=SEED + 1))


def planted() -> dict[str, int]:
    return {"group_1n_rows": BATCHES * (BATCH_ITEMS + 1),
            "group_n1_rows": SPLITS * (SPLIT_LINES + 1),
            "amount_mismatch_pairs": TOLERANCE_PAIRS, "left_rows": 0}


def found(result: matching.MatchResult) -> dict[str, int]:
    rules = result.matches.group_by("rule").len()
    count = {row["rule"]: row["len"] for row in rules.iter_rows(named=True)}
    return {"group_1n_rows": count.get("group_1n", 0), "group_n1_rows": count.get("group_n1", 0),
            "amount_mismatch_pairs": result.breaks.filter(
                pl.col("break_class") == "amount_mismatch").height // 2,
            "left_rows": result.in_transit.height}


def raw_group_join(bank: pl.DataFrame, books: pl.DataFrame) -> pl.DataFrame:
    """The reference: one plain group-sum-and-join, the building block of one group pass
    (book items summed by account, direction, batch prefix and date, joined to the lines)."""
    sums = books.filter(pl.col("reference") != "").group_by(
        "account_no", "direction", batch=pl.col("reference").str.split("-").list.first(),
        day="value_date").agg(pl.col("amount_fen").sum())
    return bank.join(sums, left_on=["account_no", "direction", "end_to_end_ref", "amount_fen"],
                     right_on=["account_no", "direction", "batch", "amount_fen"])


def run(log: Any = print) -> dict[str, Any]:
    bank, books = frames()
    log(f"grouping: {bank.height:,} lines, {books.height:,} items")
    policy = matching.MatchPolicy(amount_tolerance_fen=TOLERANCE_FEN)
    match_times, result = _timed(
        lambda: matching.match(bank, books, as_of=AS_OF, policy=policy), ROUNDS)
    want, got = planted(), found(result)
    if got != want:
        raise SystemExit(f"grouping bench: planted {want}, the engine found {got}")
    b, k = matching._normalized(bank, books)
    state = pairing.by_amount_date(pairing.by_reference(pairing.duplicates(
        pairing.State.start(b, k))), policy.date_tolerance_days)
    tol_times, state2 = _timed(lambda: grouping.by_amount_tolerance(
        state, policy.date_tolerance_days, policy.amount_tolerance_fen), ROUNDS)
    group_times, _ = _timed(lambda: grouping.groups(
        state2, policy.group_window_days, policy.group_items_max, policy.batch_ref_separator),
        ROUNDS)
    raw_times, raw = _timed(lambda: raw_group_join(bank, books), ROUNDS)
    assert raw.height == BATCHES, raw.height
    med = {name: statistics.median(t) for name, t in (
        ("match_s", match_times), ("amount_tolerance_s", tol_times),
        ("groups_s", group_times), ("raw_group_join_s", raw_times))}
    return {
        "lines": bank.height, "book_items": books.height, "planted": want, "found": got,
        **{name: round(v, 4) for name, v in med.items()},
        "groups_vs_raw_group_join_ratio": round(med["groups_s"] / med["raw_group_join_s"], 2),
        "tolerance_vs_raw_group_join_ratio": round(
            med["amount_tolerance_s"] / med["raw_group_join_s"], 2),
        "rounds": ROUNDS,
    }


def summary(results: dict[str, Any]) -> str:
    return (f"grouping: {results['lines']:,} lines / {results['book_items']:,} items: match "
            f"{results['match_s']} s; groups pass {results['groups_s']} s, tolerance pass "
            f"{results['amount_tolerance_s']} s, raw group join {results['raw_group_join_s']} s "
            f"(groups {results['groups_vs_raw_group_join_ratio']}x, tolerance "
            f"{results['tolerance_vs_raw_group_join_ratio']}x)")


def main() -> None:
    from bench.run import RESULTS, save, stamp
    results = run(lambda message: print(f"[bench] {message}", flush=True))
    stamp(results)
    RESULTS.mkdir(exist_ok=True)
    save("grouping.json", results)
    print(summary(results))


if __name__ == "__main__":
    sys.exit(main())

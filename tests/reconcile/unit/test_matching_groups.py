"""R-B2 (1) matching, issue 21: rule 3's groups (1:N, N:1) and rule 2's amount tolerance.
A planted batch or split is found with its rule recorded, a sum one fen off is not a group, a
tolerance pairs within it and not beyond, and the engine stays order-independent with every row
decided exactly once when both are on."""

from datetime import date, timedelta

import polars as pl
import pytest
from bench import grouping_bench
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cunguan.reconcile.rules import matching
from cunguan.reconcile.rules.match_kinds import BreakClass, MatchRule

AS_OF = date(2026, 12, 7)
DAY = AS_OF - timedelta(days=1)


def _line(key: str, amount_fen: int, *, day: date = DAY, e2e: str = "", bank_ref: str = "",
          cp: str = "", direction: str = "credit", account: str = "A1",
          status: str = "booked") -> tuple:
    return (key, account, int(key.lstrip("S") or 0), day, day, direction, amount_fen, bank_ref,
            e2e, cp, status, 0, "")


def _item(key: str, amount_fen: int, *, day: date = DAY, ref: str = "", cp: str = "",
          direction: str = "credit", account: str = "A1") -> tuple:
    return (key, account, day, direction, amount_fen, ref, cp, "booked", 0, "")


def _match(lines: list[tuple], items: list[tuple],
           **policy: int | str) -> matching.MatchResult:
    bank = pl.DataFrame(lines, schema=matching.BANK_SCHEMA, orient="row")
    books = pl.DataFrame(items, schema=matching.BOOK_SCHEMA, orient="row")
    return matching.match(bank, books, as_of=AS_OF,
                          policy=matching.MatchPolicy(**policy))  # type: ignore[arg-type]


def _groups(result: matching.MatchResult) -> dict[str, tuple[str, list[str]]]:
    """group_id → (rule, sorted keys) of the matches made by rule 3."""
    rows = result.matches.filter(pl.col("rule").is_in(
        [MatchRule.GROUP_ONE_TO_MANY.value, MatchRule.GROUP_MANY_TO_ONE.value]))
    out: dict[str, tuple[str, list[str]]] = {}
    for gid, rule, key in rows.select("group_id", "rule", "key").iter_rows():
        out.setdefault(gid, (rule, []))[1].append(key)
    return {gid: (rule, sorted(keys)) for gid, (rule, keys) in out.items()}


_MEMBER_AMOUNTS = st.lists(st.integers(1, 10**9), min_size=2, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amounts=_MEMBER_AMOUNTS, lag_days=st.integers(0, 3), window_days=st.integers(0, 3),
       direction=st.sampled_from(["credit", "debit"]))
def test_r_b2_a_planted_batch_is_one_bank_line_against_its_book_items(
        amounts: list[int], lag_days: int, window_days: int, direction: str) -> None:
    """1:N by batch prefix: one payout line ``PAY7`` against ``PAY7-1`` … ``PAY7-n``, the
    items of one value date ``lag_days`` before the line's; a group only within the window."""
    items = [_item(f"K{n}", amount, ref=f"PAY7-{n}", direction=direction,
                   day=DAY - timedelta(days=lag_days)) for n, amount in enumerate(amounts)]
    lines = [_line("S1", sum(amounts), e2e="PAY7", direction=direction)]
    result = _match(lines, items, group_window_days=window_days, date_tolerance_days=0)
    if lag_days <= window_days:
        members = [f"K{n}" for n in range(len(amounts))]
        assert _groups(result) == {"b:S1": (MatchRule.GROUP_ONE_TO_MANY.value,
                                            sorted(["S1", *members]))}
        assert result.breaks.height == 0 and result.in_transit.height == 0
        assert result.matches.filter(pl.col("side") == "book")["amount_fen"].sum() \
            == result.matches.filter(pl.col("side") == "bank")["amount_fen"].sum()
    else:
        assert _groups(result) == {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amounts=_MEMBER_AMOUNTS, off_fen=st.sampled_from([-1, 1]))
def test_r_b2_a_sum_one_fen_off_is_not_a_group(amounts: list[int], off_fen: int) -> None:
    assume(sum(amounts) + off_fen not in amounts)   # else a 1:1 pair by amount and date
    items = [_item(f"K{n}", amount, ref=f"PAY7-{n}") for n, amount in enumerate(amounts)]
    lines = [_line("S1", sum(amounts) + off_fen, e2e="PAY7")]
    result = _match(lines, items)
    assert _groups(result) == {}
    assert result.matches.height == 0
    assert sorted(result.in_transit["key"]) == sorted(["S1", *[f"K{n}" for n in
                                                               range(len(amounts))]])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amounts=_MEMBER_AMOUNTS)
def test_r_b2_a_split_is_several_bank_lines_against_one_book_item(amounts: list[int]) -> None:
    """N:1 by counterparty: a channel settles one book item in several lines of one day."""
    lines = [_line(f"S{n + 1}", amount, cp="62220999") for n, amount in enumerate(amounts)]
    items = [_item("K1", sum(amounts), cp="62220999"),
             _item("K2", sum(amounts), cp="62220111")]   # another counterparty: not a group
    result = _match(lines, items)
    assert _groups(result) == {"k:K1": (MatchRule.GROUP_MANY_TO_ONE.value,
                                        sorted(["K1", *[f"S{n + 1}" for n in
                                                        range(len(amounts))]]))}
    assert result.in_transit["key"].to_list() == ["K2"]


def test_r_b2_groups_keep_to_account_direction_and_items_max() -> None:
    items = [_item("K1", 100, ref="B-1"), _item("K2", 200, ref="B-2"),
             _item("K3", 300, ref="B-3", account="A2")]
    # Only two items share account A1: 300 is theirs, 600 would need A2's item.
    assert _groups(_match([_line("S1", 600, e2e="B")], items)) == {}
    assert _groups(_match([_line("S1", 300, e2e="B", direction="debit")], items)) == {}
    assert _groups(_match([_line("S1", 300, e2e="B")], items, group_items_max=2)) \
        == {"b:S1": (MatchRule.GROUP_ONE_TO_MANY.value, ["K1", "K2", "S1"])}
    three = [*items[:2], _item("K3", 300, ref="B-3")]
    assert _groups(_match([_line("S1", 600, e2e="B")], three, group_items_max=2)) == {}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tolerance_fen=st.integers(0, 500), gap_fen=st.integers(-600, 600).filter(bool),
       day_off=st.integers(-2, 2), date_days=st.integers(0, 2))
def test_r_b2_an_amount_tolerance_pairs_within_it_and_not_beyond(
        tolerance_fen: int, gap_fen: int, day_off: int, date_days: int) -> None:
    lines = [_line("S1", 10_000 + gap_fen, cp="C1", day=DAY + timedelta(days=day_off))]
    items = [_item("K1", 10_000, cp="C1")]
    result = _match(lines, items, amount_tolerance_fen=tolerance_fen,
                    date_tolerance_days=date_days)
    if abs(gap_fen) <= tolerance_fen and abs(day_off) <= date_days:
        assert result.breaks.select("break_class", "side", "key", "difference_fen",
                                    "rule").rows() == [
            (BreakClass.AMOUNT_MISMATCH.value, "bank", "S1", gap_fen,
             MatchRule.AMOUNT_DATE.value),
            (BreakClass.AMOUNT_MISMATCH.value, "book", "K1", gap_fen,
             MatchRule.AMOUNT_DATE.value)]
    else:
        assert result.matches.height == 0
        assert result.breaks["break_class"].is_in(["bank_only", "book_only"]).all()
        assert sorted(result.in_transit["key"]) == ["K1", "S1"]   # overdue or not


def test_r_b2_a_tolerance_pairs_the_nearest_amount_first_then_by_keys() -> None:
    lines = [_line("S1", 1_000)]
    nearest = _match(lines, [_item("K1", 1_003), _item("K2", 999), _item("K3", 1_002)],
                     amount_tolerance_fen=5)
    assert nearest.breaks.filter(pl.col("side") == "book")["key"].to_list() == ["K2"]
    tie = _match(lines, [_item("K9", 1_002), _item("K5", 998)], amount_tolerance_fen=5)
    assert tie.breaks.filter(pl.col("side") == "book")["key"].to_list() == ["K5"]
    # Counterparties both given must agree; an exact amount is never a tolerance pair.
    other_cp = _match([_line("S1", 1_000, cp="C1")], [_item("K1", 1_001, cp="C2")],
                      amount_tolerance_fen=5)
    assert other_cp.breaks.height == 0
    exact = _match(lines, [_item("K1", 1_000), _item("K2", 1_001)], amount_tolerance_fen=5)
    assert sorted(exact.matches["key"]) == ["K1", "S1"]
    assert exact.breaks.height == 0


_REFS = st.sampled_from(["", "", "R1", "G-1", "G-2", "G-3", "G", "H-1"])
_DATES = st.integers(0, 5).map(lambda days: AS_OF - timedelta(days=days))
_AMOUNTS = st.sampled_from([100, 200, 300, 301, 399, 400, 600])
_PARTIES = st.sampled_from(["", "C1", "C2"])
_BANK_ROW = st.tuples(st.sampled_from(["A1", "A2"]), _DATES,
                      st.sampled_from(["credit", "debit"]), _AMOUNTS, _REFS, _REFS, _PARTIES,
                      st.sampled_from(["booked", "booked", "returned"]))
_BOOK_ROW = st.tuples(st.sampled_from(["A1", "A2"]), _DATES,
                      st.sampled_from(["credit", "debit"]), _AMOUNTS, _REFS, _PARTIES)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bank_rows=st.lists(_BANK_ROW, max_size=30), book_rows=st.lists(_BOOK_ROW, max_size=30),
       keys=st.permutations(range(60)), seed=st.integers(0, 2**32 - 1),
       tolerance_fen=st.sampled_from([0, 1, 100]), window_days=st.integers(0, 2),
       date_days=st.integers(0, 2))
def test_r_b2_with_groups_and_tolerance_matching_is_order_independent_and_decides_once(
        bank_rows: list[tuple], book_rows: list[tuple], keys: list[int], seed: int,
        tolerance_fen: int, window_days: int, date_days: int) -> None:
    bank = pl.DataFrame([(f"S{k}", a, n + 1, d, d, di, amt, bref, e2e, cp, status, 0, "")
                         for n, (k, (a, d, di, amt, e2e, bref, cp, status))
                         in enumerate(zip(keys, bank_rows, strict=False))],
                        schema=matching.BANK_SCHEMA, orient="row")
    books = pl.DataFrame([(f"K{k}", a, d, di, amt, ref, cp, "booked", 0, "")
                          for k, (a, d, di, amt, ref, cp)
                          in zip(keys[30:], book_rows, strict=False)],
                         schema=matching.BOOK_SCHEMA, orient="row")
    policy = matching.MatchPolicy(amount_tolerance_fen=tolerance_fen,
                                  group_window_days=window_days,
                                  date_tolerance_days=date_days)
    result = matching.match(bank, books, as_of=AS_OF, policy=policy)
    shuffled = matching.match(bank.sample(fraction=1.0, shuffle=True, seed=seed),
                              books.sample(fraction=1.0, shuffle=True, seed=seed + 1),
                              as_of=AS_OF, policy=policy)
    assert result.matches.sort("group_id", "side", "key").equals(
        shuffled.matches.sort("group_id", "side", "key"))
    assert result.breaks.equals(shuffled.breaks)
    assert result.in_transit.equals(shuffled.in_transit)
    outcomes = result.outcomes()
    assert outcomes.select("side", "key").is_unique().all()
    assert sorted(outcomes.filter(pl.col("side") == "bank")["key"]) == sorted(bank["key"])
    assert sorted(outcomes.filter(pl.col("side") == "book")["key"]) == sorted(books["key"])
    # Every group balances: its single side's amount is its members' sum.
    sums = result.matches.filter(pl.col("rule").str.starts_with("group")).group_by(
        "group_id", "side").agg(pl.col("amount_fen").sum()).pivot(
        "side", index="group_id", values="amount_fen")
    if sums.height:
        assert (sums["bank"] == sums["book"]).all()
    # Every pair by amount and date is within the tolerance (by reference, any amount).
    gaps = result.breaks.filter(pl.col("break_class") == BreakClass.AMOUNT_MISMATCH.value,
                                pl.col("rule") == MatchRule.AMOUNT_DATE.value)
    assert (gaps["difference_fen"].abs() <= tolerance_fen).all()


def test_r_b2_look_alike_rows_pair_within_tolerance_in_key_order() -> None:
    """A thousand look-alike lines against a thousand look-alike items, a fen apart: paired as
    one class against one (not a million candidates), the n-th key with the n-th."""
    lines = [_line(f"S{n:04d}", 1_000) for n in range(1_000)]
    items = [_item(f"K{n:04d}", 1_001) for n in range(1_000)]
    result = _match(lines, items, amount_tolerance_fen=1)
    pairs = result.breaks.filter(pl.col("side") == "book").select(
        bank=pl.col("break_id").str.strip_prefix("b:"), book="key").sort("bank")
    assert pairs.rows() == [(f"S{n:04d}", f"K{n:04d}") for n in range(1_000)]
    assert (result.breaks["difference_fen"] == -1).all()


def test_r_b2_the_grouping_bench_frames_give_exactly_the_groups_planted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BATCHES", "SPLITS", "TOLERANCE_PAIRS"):
        monkeypatch.setattr(grouping_bench, name, 300)
    bank, books = grouping_bench.frames()
    policy = matching.MatchPolicy(amount_tolerance_fen=grouping_bench.TOLERANCE_FEN)
    result = matching.match(bank, books, as_of=grouping_bench.AS_OF, policy=policy)
    assert grouping_bench.found(result) == grouping_bench.planted()

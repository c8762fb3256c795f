"""R-B2 (1) matching as properties: on look-alike lines and items (few accounts, amounts,
dates and references, so that keys are shared and ties are many), the result does not depend on
the rows' order, and every line and item ends matched, in transit, or in exactly one break.
Also the issue 21 benchmark's frames, small: the engine finds exactly the breaks planted."""

from datetime import date, timedelta

import polars as pl
import pytest
from bench import reconcile_bench
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunguan.core.errors import InvariantViolation
from cunguan.reconcile.rules import matching, pairing

AS_OF = date(2026, 12, 7)
_REFS = st.sampled_from(["", "", "R1", "R2", "R3", "B1", "B2"])
_DATES = st.integers(0, 5).map(lambda days: AS_OF - timedelta(days=days))
_ACCOUNTS = st.sampled_from(["A1", "A2"])
_DIRECTIONS = st.sampled_from(["credit", "debit"])
_AMOUNTS = st.sampled_from([100, 200, 300])
_PARTIES = st.sampled_from(["", "C1", "C2"])
_BANK_ROW = st.tuples(_ACCOUNTS, _DATES, _DIRECTIONS, _AMOUNTS, _REFS, _REFS, _PARTIES,
                      st.sampled_from(["booked", "booked", "returned", "reversed", "pending"]),
                      st.sampled_from([0, 5]), _REFS)
_BOOK_ROW = st.tuples(_ACCOUNTS, _DATES, _DIRECTIONS, _AMOUNTS, _REFS, _PARTIES,
                      st.sampled_from(["booked", "pending", "returned"]), st.sampled_from([0, 5]),
                      st.sampled_from(["", "receipt", "payout", "payout_return"]))


def _bank(rows: list[tuple], keys: list[int]) -> pl.DataFrame:
    return pl.DataFrame([(f"S{key}", acct, n + 1, day, day, direction, amount, bank_ref, e2e,
                          party, status, fee, original)
                         for n, (key, (acct, day, direction, amount, e2e, bank_ref, party, status,
                                       fee, original)) in enumerate(zip(keys, rows, strict=True))],
                        schema=matching.BANK_SCHEMA, orient="row")


def _books(rows: list[tuple], keys: list[int]) -> pl.DataFrame:
    return pl.DataFrame([(f"K{key}", *row) for key, row in zip(keys, rows, strict=True)],
                        schema=matching.BOOK_SCHEMA, orient="row")


def _same(a: matching.MatchResult, b: matching.MatchResult) -> bool:
    """The same rows (``matches`` comes in the bank frame's row order, the others sorted)."""
    def rows(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.sort("group_id", "side", "key")
    return (rows(a.matches).equals(rows(b.matches)) and a.breaks.equals(b.breaks)
            and a.in_transit.equals(b.in_transit))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bank_rows=st.lists(_BANK_ROW, max_size=40), book_rows=st.lists(_BOOK_ROW, max_size=40),
       keys=st.permutations(range(80)), seed=st.integers(0, 2**32 - 1),
       date_days=st.integers(0, 2))
def test_r_b2_matching_is_order_independent_and_decides_every_row_once(
        bank_rows: list[tuple], book_rows: list[tuple], keys: list[int], seed: int,
        date_days: int) -> None:
    bank = _bank(bank_rows, keys[:len(bank_rows)])
    books = _books(book_rows, keys[40:40 + len(book_rows)])
    policy = matching.MatchPolicy(date_tolerance_days=date_days)
    result = matching.match(bank, books, as_of=AS_OF, policy=policy)
    shuffled = matching.match(bank.sample(fraction=1.0, shuffle=True, seed=seed),
                              books.sample(fraction=1.0, shuffle=True, seed=seed + 1),
                              as_of=AS_OF, policy=policy)
    assert _same(result, shuffled)
    outcomes = result.outcomes()
    assert outcomes.select("side", "key").is_unique().all()
    assert sorted(outcomes.filter(pl.col("side") == "bank")["key"]) == sorted(bank["key"])
    assert sorted(outcomes.filter(pl.col("side") == "book")["key"]) == sorted(books["key"])
    # A break row is in one break only; a pair's two rows share one break id.
    assert result.breaks.select("side", "key").is_unique().all()


def test_r_b2_the_benchmark_frames_give_exactly_the_breaks_planted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"LINES": 20_000, "PER_CLASS": 200, "IN_TRANSIT": 100}.items():
        monkeypatch.setattr(reconcile_bench, name, value)
    singles = 200 + 100 + 50
    monkeypatch.setattr(reconcile_bench, "PAIRS", 20_000 - singles)
    monkeypatch.setattr(reconcile_bench, "AGREEING", 20_000 - singles - 600)
    bank, books = reconcile_bench.frames()
    result = matching.match(bank, books, as_of=reconcile_bench.AS_OF)
    assert reconcile_bench.found(result) == reconcile_bench.planted()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bank_rows=st.lists(_BANK_ROW, max_size=40), book_rows=st.lists(_BOOK_ROW, max_size=40),
       keys=st.permutations(range(80)))
def test_r_b2_matching_is_the_same_when_hashes_are_not_trusted(
        bank_rows: list[tuple], book_rows: list[tuple], keys: list[int]) -> None:
    """The engine's exact fallback (dense numbers for texts), taken when two texts share a
    64-bit hash, gives what the hashes give."""
    bank = _bank(bank_rows, keys[:len(bank_rows)])
    books = _books(book_rows, keys[40:40 + len(book_rows)])
    hashed = matching.match(bank, books, as_of=AS_OF)

    with pytest.MonkeyPatch.context() as patch:
        _exact_only(patch)
        exact = matching.match(bank, books, as_of=AS_OF)
    assert _same(hashed, exact)


def _exact_only(patch: pytest.MonkeyPatch) -> None:
    """Every text coded by a dense number (never a hash), from the start."""
    start = pairing.State.start
    patch.setattr(pairing, "_codes",
                  lambda values: pairing._dense_codes(pairing._texts(values)))
    patch.setattr(pairing.State, "start",
                  staticmethod(lambda bank, book, exact=False: start(bank, book, exact=True)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bank_rows=st.lists(_BANK_ROW, max_size=40), book_rows=st.lists(_BOOK_ROW, max_size=40),
       keys=st.permutations(range(80)), buckets=st.integers(1, 4),
       date_days=st.integers(0, 2))
def test_r_b2_matching_is_exact_when_unequal_references_share_a_hash(
        bank_rows: list[tuple], book_rows: list[tuple], keys: list[int], buckets: int,
        date_days: int) -> None:
    """The passes trust the references' and counterparties' 64-bit hashes and check what they
    paired: with a hash so weak that unequal texts share it all the time (1 to 4 values), the
    result is still the exact one (a collision in a pass's pairs starts again exactly; one
    that decided nothing changes nothing)."""
    bank = _bank(bank_rows, keys[:len(bank_rows)])
    books = _books(book_rows, keys[40:40 + len(book_rows)])
    policy = matching.MatchPolicy(date_tolerance_days=date_days)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pairing, "_hashed", lambda name: pl.col(name).hash() % buckets)
        weak = matching.match(bank, books, as_of=AS_OF, policy=policy)
    with pytest.MonkeyPatch.context() as patch:
        _exact_only(patch)
        exact = matching.match(bank, books, as_of=AS_OF, policy=policy)
    assert _same(weak, exact)


@pytest.mark.parametrize("side", ["bank", "book"])
def test_r_b2_a_key_twice_on_a_side_is_a_bug_not_a_result(side: str) -> None:
    """Keys name rows (the store's line key, the book's item id): a frame holding one twice
    is refused before any pass, whether its keys' hashes tell it or only the texts do."""
    row = ("A1", AS_OF, "credit", 100, "R1", "B1", "C1", "booked", 0, "")
    book_row = ("A1", AS_OF, "credit", 100, "R1", "C1", "booked", 0, "receipt")
    bank = _bank([row, row], [1, 2] if side == "book" else [1, 1])
    books = _books([book_row, book_row], [3, 3] if side == "book" else [3, 4])
    with pytest.raises(InvariantViolation, match=f"{side} .* keys are unique"):
        matching.match(bank, books, as_of=AS_OF)
    with pytest.MonkeyPatch.context() as patch:   # every key hashes alike: counted exactly
        patch.setattr(pl.Series, "hash", lambda self, *a, **k: pl.Series([0] * self.len()))
        assert not matching._unique(pl.Series(["K1", "K1", "K2"]))
        assert matching._unique(pl.Series(["K1", "K2", "K3"]))

"""Pairing items in transit by hand (R-B2 (1)): the pure rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cunguan.reconcile.rules.manual_pairs import OpenItem, difference_fen, judge
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import Direction

BANK = OpenItem("bank", "L1", Direction.CREDIT, 4_792_799)
BOOK = OpenItem("book", "K1", Direction.CREDIT, 4_792_800)
OPEN = {(i.side, i.key): i for i in (BANK, BOOK)}
WANTED = [("bank", "L1"), ("book", "K1")]


def test_r_b2_a_pair_differing_by_a_written_off_breaks_difference_is_paired() -> None:
    assert difference_fen((BANK, BOOK)) == -1
    assert judge(WANTED, OPEN, ("written_off", -1)) == (BANK, BOOK)
    assert judge(WANTED, OPEN, ("resolved", -1)) == (BANK, BOOK)


@pytest.mark.parametrize("explaining", [None, ("open", -1), ("written_off", 1),
                                        ("assigned", -1)])
def test_r_b2_a_difference_no_closed_break_of_that_difference_explains_is_refused(
        explaining: tuple[str, int] | None) -> None:
    with pytest.raises(ReconcileError) as refused:
        judge(WANTED, OPEN, explaining)
    assert refused.value.code == Refusal.IN_TRANSIT_PAIR_UNEXPLAINED
    assert refused.value.details["difference_fen"] == -1


@pytest.mark.parametrize("wanted", [[("bank", "L1")], [("book", "K1")],
                                    [("bank", "L1"), ("book", "K9")],
                                    [("book", "L1"), ("bank", "K1")]])
def test_r_b2_items_not_open_or_one_sided_are_refused(wanted: list[tuple[str, str]]) -> None:
    with pytest.raises(ReconcileError) as refused:
        judge(wanted, OPEN, ("written_off", -1))
    assert refused.value.code == Refusal.IN_TRANSIT_ITEM_NOT_OPEN


@given(st.lists(st.tuples(st.sampled_from(("bank", "book")), st.sampled_from(tuple(Direction)),
                          st.integers(1, 10**9)), min_size=1, max_size=8))
def test_r_b2_r_b3_the_difference_is_what_the_pair_moves_bank_minus_books(
        rows: list[tuple[str, Direction, int]]) -> None:
    """A pair's difference is the in-transit effect its items had (R-B3's term): pairing them
    takes exactly that out of the in-transit items, and it must be booked elsewhere."""
    items = [OpenItem(side, f"k{n}", d, a) for n, (side, d, a) in enumerate(rows)]
    effect = sum((i.signed_fen if i.side == "bank" else -i.signed_fen) for i in items)
    assert difference_fen(items) == effect
    mirrored = [OpenItem("book" if i.side == "bank" else "bank", i.key, i.direction,
                         i.amount_fen) for i in items]
    assert difference_fen(mirrored) == -effect

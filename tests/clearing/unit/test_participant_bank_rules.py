"""A participant bank's pure rules (issue 22): its next packages (R-S2), what an item's state
means for its hold (R-S4, R-S7), what may be returned."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from cunguan.clearing.rules.exceptions import ItemState
from cunguan.clearing.rules.participant_bank import (
    Outward,
    TransferState,
    cannot_take,
    outward_outcome,
    packages_of,
    returnable,
)

DAY = date(2026, 12, 7)
BANK = "102100099996"
CREDITORS = {"105100000017": "105100000017", "104100000004": "104100000004",
             "313100000013": "105100000017"}         # the last clears through the first


outwards = st.lists(st.tuples(st.sampled_from(sorted(CREDITORS)), st.integers(1, 5_000_000)),
                    max_size=40).map(lambda rows: [
                        Outward(n, f"S{n}", "C1", "张三", bank, f"A{n}", "李四", fen)
                        for n, (bank, fen) in enumerate(rows, 1)])


@given(outwards, st.integers(1, 7))
def test_r_s2_the_next_packages_carry_each_credit_once_one_receiver_each(
        pending: list[Outward], items_max: int) -> None:
    packages = packages_of(BANK, pending, CREDITORS, work_date=DAY, items_max=items_max)
    carried = [o for _, chunk in packages for o in chunk]
    assert sorted(o.transfer_no for o in carried) == [o.transfer_no for o in pending]
    for package, chunk in packages:
        assert 0 < len(package.items) <= items_max and package.control_count == len(chunk)
        assert package.control_sum_fen == sum(o.amount_fen for o in chunk)
        assert {CREDITORS[i.creditor_bank] for i in package.items} == {package.receiver_bank}
        assert [o.transfer_no for o in chunk] == sorted(o.transfer_no for o in chunk)
        assert package.message_id == f"PB{chunk[0].transfer_no}"
        assert [i.end_to_end_id for i in package.items] == [o.serial_no for o in chunk]
    assert len({p.message_id for p, _ in packages}) == len(packages)


def test_r_s4_r_s7_a_hold_settles_once_netted_and_is_released_once_undone() -> None:
    for state in ("netted", "submitted", "settled", "credited", "returned"):
        assert outward_outcome(state) is TransferState.SETTLED
    for state in ("refused", "revoked", "reversed", "stopped"):
        assert outward_outcome(state) is TransferState.RELEASED
    for state in ("accepted", "queued", "awaiting_receipt", "stop_requested"):
        assert outward_outcome(state) is None
    assert {s.value for s in ItemState} == {
        "netted", "submitted", "settled", "credited", "returned", "refused", "revoked",
        "reversed", "stopped", "accepted", "queued", "awaiting_receipt", "stop_requested"}


def test_r_s7_what_an_account_cannot_take_and_what_may_go_back() -> None:
    assert all(cannot_take(code) for code in ("account_not_found", "account_closed",
                                              "account_frozen", "field_invalid"))
    assert not cannot_take("exceeds_available") and not cannot_take(None)
    assert returnable("ordinary_credit") and returnable("periodic_credit")
    assert not returnable("realtime_credit")
    assert not returnable("ordinary_credit", is_return=True)   # suspended instead

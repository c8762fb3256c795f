"""R-S3 and R-S4: the net debit cap and real-time bilateral netting with its FIFO queue."""

from collections.abc import Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.clearing.rules.caps import (
    NetDebitCap,
    available_cap_fen,
    passes_cap,
    warnings_crossed,
)
from cunguan.clearing.rules.netting import Fate, Flow, net_arrivals, release_queues
from cunguan.clearing.rules.parameters import BusinessType

BANKS = ("102100099996", "103100000026", "104100000004", "105100000017")
A, B, C, _D = BANKS


def flow(item_id: str, payer: str, payee: str, amount_fen: int,
         kind: BusinessType = BusinessType.ORDINARY_CREDIT) -> Flow:
    return Flow(item_id, kind, payer, payee, amount_fen)


def test_r_s3_cap_is_collateral_times_haircut_plus_credit_line_plus_earmarked_funds() -> None:
    cap = NetDebitCap(collateral_fen=10_000_000, haircut_bps=9_000, credit_line_fen=5_000_000,
                      earmarked_fen=1_000_000)
    assert cap.cap_fen == 9_000_000 + 5_000_000 + 1_000_000
    assert available_cap_fen(cap, -4_000_000) == 11_000_000
    assert available_cap_fen(cap, 3_000_000) == 15_000_000   # a net credit uses none of it
    assert passes_cap(cap, -4_000_000, 11_000_000)
    assert not passes_cap(cap, -4_000_000, 11_000_001)


def test_r_s3_haircut_rounds_down_never_granting_a_fen_the_bonds_do_not_cover() -> None:
    assert NetDebitCap(collateral_fen=3, haircut_bps=6_667).cap_fen == 2   # 2.0001 → 2


def test_r_s3_warnings_raise_once_per_threshold_crossed_upwards() -> None:
    cap = NetDebitCap(credit_line_fen=1_000)
    assert warnings_crossed(cap, 0, -850, (80, 90)) == (80,)
    assert warnings_crossed(cap, -850, -950, (80, 90)) == (90,)
    assert warnings_crossed(cap, -950, -990, (80, 90)) == ()
    assert warnings_crossed(cap, -990, -100, (80, 90)) == ()


def test_r_s4_a_real_time_item_over_the_cap_is_refused_at_once_and_moves_nothing() -> None:
    caps = {A: NetDebitCap(credit_line_fen=100)}
    result = net_arrivals([flow("rt", A, B, 101, BusinessType.REALTIME_CREDIT)],
                          positions={}, caps=caps, queues={})
    assert result.fates == (("rt", Fate.REFUSED),)
    assert result.netted == ()
    assert all(p == 0 for p in result.positions.values())
    assert result.queues == {}


def test_r_s4_an_ordinary_item_over_the_cap_queues_and_an_incoming_credit_releases_it() -> None:
    caps = {A: NetDebitCap(credit_line_fen=100), B: NetDebitCap(credit_line_fen=1_000)}
    first = net_arrivals([flow("a1", A, B, 150), flow("a2", A, C, 10)],
                         positions={}, caps=caps, queues={})
    # a2 would fit but waits behind a1: the queue is first in, first out
    assert first.fates == (("a1", Fate.QUEUED), ("a2", Fate.QUEUED))
    assert first.queues == {A: ("a1", "a2")}
    queued = {A: [flow("a1", A, B, 150), flow("a2", A, C, 10)]}
    second = net_arrivals([flow("b1", B, A, 60)], positions=first.positions, caps=caps,
                          queues=queued)
    # B pays A 60: A may now owe 160, so a1 (150) and then a2 (10) net, in that order
    assert second.netted == ("b1", "a1", "a2")
    assert second.positions == {A: -100, B: 90, C: 10}
    assert second.queues == {A: ()}


def test_r_s4_a_raised_cap_releases_the_queue_in_arrival_order() -> None:
    queued = {A: [flow("x", A, B, 70), flow("y", A, B, 20), flow("z", A, C, 50)]}
    result = release_queues(positions={}, caps={A: NetDebitCap(earmarked_fen=95)},
                            queues=queued)
    assert result.netted == ("x", "y")       # z does not fit; it stays at the head
    assert result.queues == {A: ("z",)}
    assert result.positions == {A: -90, B: 90}


def test_r_s4_real_time_items_do_not_wait_behind_the_queue() -> None:
    caps = {A: NetDebitCap(credit_line_fen=100)}
    queued = {A: [flow("big", A, B, 500)]}
    result = net_arrivals([flow("rt", A, B, 40, BusinessType.REALTIME_CREDIT)],
                          positions={}, caps=caps, queues=queued)
    assert result.fates == (("rt", Fate.NETTED),)
    assert result.positions == {A: -40, B: 40}


KINDS = st.sampled_from([BusinessType.ORDINARY_CREDIT, BusinessType.PERIODIC_CREDIT,
                         BusinessType.REALTIME_CREDIT, BusinessType.ORDINARY_DEBIT,
                         BusinessType.REALTIME_DEBIT])


@st.composite
def flows(draw: st.DrawFn) -> list[Flow]:
    count = draw(st.integers(0, 40))
    out = []
    for i in range(count):
        payer, payee = draw(st.permutations(BANKS))[:2]
        out.append(Flow(f"i{i}", draw(KINDS), payer, payee, draw(st.integers(1, 5_000))))
    return out


CAPS = st.fixed_dictionaries({bank: st.builds(NetDebitCap, credit_line_fen=st.integers(0, 6_000),
                                              earmarked_fen=st.integers(0, 2_000))
                              for bank in BANKS})


def _one_at_a_time(arriving: Sequence[Flow], caps: Mapping[str, NetDebitCap]
                   ) -> tuple[list[tuple[str, Fate]], list[str], dict[str, int]]:
    positions: dict[str, int] = {}
    queues: dict[str, list[Flow]] = {}
    by_id = {f.item_id: f for f in arriving}
    fates, netted = [], []
    for item in arriving:
        step = net_arrivals([item], positions=positions, caps=caps, queues=queues)
        fates += step.fates
        netted += step.netted
        positions.update(step.positions)
        for bank, ids in step.queues.items():
            queues[bank] = [by_id[i] for i in ids]
    return fates, netted, positions


@settings(max_examples=150, deadline=None)
@given(flows(), CAPS)
def test_r_s4_invariants_hold_after_every_pass(arriving: list[Flow],
                                                caps: dict[str, NetDebitCap]) -> None:
    result = net_arrivals(arriving, positions={}, caps=caps, queues={})
    # every arrival has one fate; the netted, the queued and the refused partition them
    assert [i for i, _ in result.fates] == [f.item_id for f in arriving]
    queued = [i for q in result.queues.values() for i in q]
    refused = [i for i, fate in result.fates if fate is Fate.REFUSED]
    assert sorted(result.netted + tuple(queued) + tuple(refused)) == sorted(
        f.item_id for f in arriving)
    # Σ positions is 0; no bank owes more than its cap
    assert sum(result.positions.values()) == 0
    for bank, position in result.positions.items():
        assert -position <= caps[bank].cap_fen
    by_id = {f.item_id: f for f in arriving}
    # real-time items never wait; each payer's queued items net in arrival order
    assert all(not by_id[i].business_type.is_realtime for i in queued)
    for bank in BANKS:
        mine = [i for i in result.netted
                if by_id[i].payer_bank == bank and not by_id[i].business_type.is_realtime]
        assert mine == sorted(mine, key=lambda i: int(i[1:]))
    # the positions are exactly the netted items' sums
    expected: dict[str, int] = {}
    for i in result.netted:
        f = by_id[i]
        expected[f.payer_bank] = expected.get(f.payer_bank, 0) - f.amount_fen
        expected[f.payee_bank] = expected.get(f.payee_bank, 0) + f.amount_fen
    assert {b: p for b, p in result.positions.items() if p} == {
        b: p for b, p in expected.items() if p}


@settings(max_examples=100, deadline=None)
@given(flows(), CAPS)
def test_r_s4_a_group_answers_each_item_as_one_at_a_time_would(
        arriving: list[Flow], caps: dict[str, NetDebitCap]) -> None:
    whole = net_arrivals(arriving, positions={}, caps=caps, queues={})
    fates, netted, positions = _one_at_a_time(arriving, caps)
    assert list(whole.fates) == fates
    assert list(whole.netted) == netted
    assert {b: p for b, p in whole.positions.items() if p} == {
        b: p for b, p in positions.items() if p}


@settings(max_examples=100, deadline=None)
@given(flows(), CAPS)
def test_r_s4_unlimited_caps_release_every_queued_item(arriving: list[Flow],
                                                       caps: dict[str, NetDebitCap]) -> None:
    first = net_arrivals(arriving, positions={}, caps=caps, queues={})
    by_id = {f.item_id: f for f in arriving}
    queues = {b: [by_id[i] for i in ids] for b, ids in first.queues.items()}
    big = {bank: NetDebitCap(credit_line_fen=10**12) for bank in BANKS}
    released = release_queues(positions=first.positions, caps=big, queues=queues)
    assert sorted(released.netted) == sorted(i for q in first.queues.values() for i in q)
    assert all(q == () for q in released.queues.values())
    assert sum(released.positions.values()) == 0

"""R-S3, R-S4: the vectorised cap check and netting decides every item exactly as the
item-by-item reference ``net_arrivals`` does (issue 22)."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.clearing.rules.caps import NetDebitCap
from cunguan.clearing.rules.netting import Fate, Flow, NettingResult, net_arrivals
from cunguan.clearing.rules.netting_vector import net_arrivals_vector
from cunguan.clearing.rules.parameters import BusinessType

BANKS = ("102100099996", "103100000026", "104100000004", "105100000017", "301100000016")
KINDS = (BusinessType.ORDINARY_CREDIT, BusinessType.PERIODIC_CREDIT,
         BusinessType.REALTIME_CREDIT, BusinessType.ORDINARY_DEBIT,
         BusinessType.REALTIME_DEBIT)
PCTS = st.sampled_from([(), (80,), (50, 80, 90), (1, 100)])


def _same(arriving: list[Flow], positions: dict[str, int], caps: dict[str, NetDebitCap],
          queues: dict[str, list[Flow]], pcts: tuple[int, ...], window_items: int
          ) -> NettingResult:
    expected = net_arrivals(arriving, positions=positions, caps=caps, queues=queues,
                            warning_pcts=pcts)
    got = net_arrivals_vector(arriving, positions=positions, caps=caps, queues=queues,
                              warning_pcts=pcts, window_items=window_items)
    assert got.fates == expected.fates
    assert got.netted == expected.netted
    assert got.positions == expected.positions
    assert got.queues == expected.queues
    assert got.warnings == expected.warnings
    return got


@st.composite
def books(draw: st.DrawFn) -> tuple[list[Flow], dict[str, int], dict[str, NetDebitCap],
                                    dict[str, list[Flow]]]:
    banks = BANKS[:draw(st.integers(2, len(BANKS)))]
    caps = {b: NetDebitCap(credit_line_fen=draw(st.integers(0, 3_000)),
                           earmarked_fen=draw(st.sampled_from([0, 0, 500])))
            for b in banks if draw(st.booleans()) or b == banks[0]}
    moves = draw(st.lists(st.tuples(st.sampled_from(banks), st.sampled_from(banks),
                                    st.integers(-2_000, 2_000)), max_size=4))
    positions: dict[str, int] = {}
    for a, b, amount in moves:      # a sum-zero start; some banks absent from it
        positions[a] = positions.get(a, 0) - amount
        positions[b] = positions.get(b, 0) + amount
    queues: dict[str, list[Flow]] = {}
    for n in range(draw(st.integers(0, 6))):
        payer, payee = draw(st.sampled_from(banks)), draw(st.sampled_from(banks))
        queues.setdefault(payer, []).append(
            Flow(f"q{n}", draw(st.sampled_from(KINDS[:2])), payer, payee,
                 draw(st.integers(1, 4_000))))
    arriving = [Flow(f"i{n}", draw(st.sampled_from(KINDS)), draw(st.sampled_from(banks)),
                     draw(st.sampled_from(banks)), draw(st.integers(1, 2_500)))
                for n in range(draw(st.integers(0, 60)))]
    return arriving, positions, caps, queues


@settings(max_examples=400, deadline=None)
@given(books(), PCTS, st.sampled_from([1, 2, 3, 8, 256]))
def test_r_s4_vectorised_netting_decides_as_item_by_item(
        book: tuple[list[Flow], dict[str, int], dict[str, NetDebitCap], dict[str, list[Flow]]],
        pcts: tuple[int, ...], window_items: int) -> None:
    arriving, positions, caps, queues = book
    _same(arriving, positions, caps, queues, pcts, window_items)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.integers(2, 30), st.integers(200, 3_000), PCTS,
       st.sampled_from([1, 16, 256]))
def test_r_s4_vectorised_netting_decides_as_item_by_item_on_long_days_with_tight_caps(
        seed: int, bank_count: int, item_count: int, pcts: tuple[int, ...],
        window_items: int) -> None:
    rng = random.Random(seed)
    banks = [f"{100_000_000_000 + i}" for i in range(bank_count)]
    # most caps roomy, some tight enough to queue and refuse, some zero
    caps = {b: NetDebitCap(credit_line_fen=rng.choice([0, 3_000, 20_000, 10**7]))
            for b in banks}
    arriving = []
    for n in range(item_count):
        payer, payee = rng.choice(banks), rng.choice(banks)
        kind = KINDS[0] if rng.random() < 0.7 else rng.choice(KINDS)
        arriving.append(Flow(f"i{n}", kind, payer, payee, rng.randint(1, 5_000)))
    result = _same(arriving, {}, caps, {}, pcts, window_items)
    # the next pass starts from the first one's queues and positions, as the handler does
    by_id = {f.item_id: f for f in arriving}
    queues = {b: [by_id[i] for i in ids] for b, ids in result.queues.items()}
    more = [Flow(f"j{n}", rng.choice(KINDS), rng.choice(banks), rng.choice(banks),
                 rng.randint(1, 9_000)) for n in range(item_count // 2)]
    _same(more, dict(result.positions), caps, queues, pcts, window_items)


def test_r_s4_vectorised_netting_queues_behind_a_queue_and_releases_on_a_credit() -> None:
    a, b, c = BANKS[:3]
    caps = {a: NetDebitCap(credit_line_fen=100), b: NetDebitCap(credit_line_fen=1_000)}
    flows = [Flow("a1", KINDS[0], a, b, 150), Flow("a2", KINDS[0], a, c, 10),
             Flow("rt", KINDS[2], a, c, 40), Flow("b1", KINDS[0], b, a, 110)]
    result = _same(flows, {}, caps, {}, (), 256)
    assert result.fates == (("a1", Fate.QUEUED), ("a2", Fate.QUEUED), ("rt", Fate.NETTED),
                            ("b1", Fate.NETTED))
    assert result.netted == ("rt", "b1", "a1", "a2")


def test_r_s4_an_arrival_queued_then_released_in_the_same_pass_is_written_netted() -> None:
    from cunguan.clearing.handlers.packages import final_states
    from cunguan.clearing.rules.exceptions import ItemState
    a, b = BANKS[:2]
    caps = {a: NetDebitCap(credit_line_fen=100), b: NetDebitCap(credit_line_fen=1_000)}
    result = net_arrivals_vector([Flow("a1", KINDS[0], a, b, 150),
                                  Flow("b1", KINDS[0], b, a, 60)],
                                 positions={}, caps=caps, queues={})
    assert result.fates == (("a1", Fate.QUEUED), ("b1", Fate.NETTED))
    assert result.netted == ("b1", "a1")
    assert final_states(result) == {"a1": ItemState.NETTED, "b1": ItemState.NETTED}

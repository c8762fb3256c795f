"""Clearing (BEPS) benchmark, issue 22: the cap check and netting in memory, vectorised
against the item-by-item reference on the same items in the same run.

Items: ``NETTING_ITEMS`` flows among ``BANKS`` direct participants (a few large banks carry most
of the traffic), amounts log-normal around 5,000 yuan, 8 % real-time; caps at twice each bank's
deepest all-netted position, except ``TIGHT_BANKS`` small banks whose caps are below it, so they
queue (and refuse real-time items) and are released as credits come in. The reference is
``netting.net_arrivals`` over ``Flow`` objects (the project's item-by-item loop, the one the
handlers ran); the vector path is ``netting_vector.decide`` over the same items as arrays (bank
numbers, amounts, real-time flags). Both take the warning thresholds (80 %, 90 %). Median of
``ROUNDS``; ``decisions_identical`` compares every item's fate, the netting order, the final
positions, the queues and the warnings.
"""

import time
from collections import deque
from collections.abc import Callable
from statistics import median
from typing import Any

import numpy as np

from bench import clearing_day
from cunguan.clearing.rules.caps import NetDebitCap
from cunguan.clearing.rules.netting import Fate, Flow, net_arrivals
from cunguan.clearing.rules.netting_vector import decide, net_arrivals_vector, vector_sums_fit
from cunguan.clearing.rules.parameters import BusinessType, ClearingParameters

NETTING_ITEMS = 1_000_000
BANKS = 50
TIGHT_BANKS = 3
REALTIME_SHARE = 0.08
ROUNDS = 3
SEED = 22
TARGET_ITEMS_PER_S = 2_000_000
TARGET_RATIO = 50


def bank_codes(count: int) -> list[str]:
    return [f"{100 + i:03d}100000{i:03d}" for i in range(count)]


def make_items(count: int, banks: int, seed: int = SEED
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Payer and payee bank numbers, amounts (fen) and real-time flags of ``count`` items."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, banks + 1) ** 0.9          # a few large banks, a long tail
    weights /= weights.sum()
    payer = rng.choice(banks, size=count, p=weights).astype(np.int16)
    payee = rng.choice(banks - 1, size=count, p=None).astype(np.int16)
    payee = np.where(payee >= payer, payee + 1, payee).astype(np.int16)   # never to itself
    # payees weighted like payers: redraw most by weight
    weighted = rng.choice(banks, size=count, p=weights).astype(np.int16)
    payee = np.where((weighted != payer) & (rng.random(count) < 0.8), weighted, payee)
    amount = np.clip(rng.lognormal(np.log(500_000), 1.4, count), 100, 5_000_000_000)
    realtime = rng.random(count) < REALTIME_SHARE
    return payer, payee.astype(np.int16), amount.astype(np.int64), realtime


def make_caps(payer: np.ndarray, payee: np.ndarray, amount: np.ndarray, banks: int,
              tight: int) -> np.ndarray:
    """Twice each bank's deepest position if everything netted; the last ``tight`` banks get
    60 % of it, so they hit their caps."""
    deepest = np.zeros(banks, dtype=np.int64)
    for b in range(banks):
        moves = np.where(payer == b, -amount, 0) + np.where(payee == b, amount, 0)
        deepest[b] = max(1, -int(np.cumsum(moves).min(initial=0)))
    caps = deepest * 2
    caps[banks - tight:] = deepest[banks - tight:] * 6 // 10
    return caps


def flows_of(payer: np.ndarray, payee: np.ndarray, amount: np.ndarray,
             realtime: np.ndarray, codes: list[str]) -> list[Flow]:
    kinds = (BusinessType.ORDINARY_CREDIT, BusinessType.REALTIME_CREDIT)
    return [Flow(f"i{i}", kinds[int(rt)], codes[p], codes[q], a) for i, (p, q, a, rt)
            in enumerate(zip(payer.tolist(), payee.tolist(), amount.tolist(),
                             realtime.tolist(), strict=True))]


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def run_netting(log: Callable[[str], None], items: int = NETTING_ITEMS) -> dict[str, Any]:
    codes = bank_codes(BANKS)
    payer, payee, amount, realtime = make_items(items, BANKS)
    caps_fen = make_caps(payer, payee, amount, BANKS, TIGHT_BANKS)
    caps = {c: NetDebitCap(credit_line_fen=int(f)) for c, f in zip(codes, caps_fen.tolist(),
                                                                    strict=True)}
    pcts = ClearingParameters().cap_warning_used_pcts
    positions = np.zeros(BANKS, dtype=np.int64)
    assert vector_sums_fit(amount, positions, caps_fen)
    flows = flows_of(payer, payee, amount, realtime, codes)

    def vector() -> Any:
        return decide(payer, payee, amount, realtime, first_arrival=0,
                      positions_fen=positions, caps_fen=caps_fen,
                      known=np.zeros(BANKS, dtype=np.bool_),
                      queues=[deque() for _ in range(BANKS)], warning_pcts=pcts)

    def loop() -> Any:
        return net_arrivals(flows, positions={}, caps=caps, queues={}, warning_pcts=pcts)

    vector_s, loop_s, out, reference = [], [], None, None
    for round_no in range(ROUNDS):
        seconds, out = _timed(vector)
        vector_s.append(seconds)
        seconds, reference = _timed(loop)
        loop_s.append(seconds)
        log(f"netting round {round_no + 1}: vector {vector_s[-1]:.3f} s, "
            f"loop {loop_s[-1]:.3f} s")
    adapter_s, adapted = _timed(lambda: net_arrivals_vector(
        flows, positions={}, caps=caps, queues={}, warning_pcts=pcts))
    assert out is not None and reference is not None
    fates = {Fate.NETTED: 0, Fate.QUEUED: 1, Fate.REFUSED: 2}
    identical = (
        [fates[f] for _, f in reference.fates] == out.fates.tolist()
        and [f"i{i}" for i in out.netted.tolist()] == list(reference.netted)
        and {codes[b]: int(out.positions_fen[b]) for b in np.flatnonzero(out.known).tolist()}
        == dict(reference.positions)
        and {codes[b]: tuple(f"i{i}" for i in out.queues[b])
             for b in sorted(out.touched_queues)} == dict(reference.queues)
        and [(codes[b], p, pos, cap) for b, p, pos, cap in out.warnings]
        == [(w.bank_code, w.used_pct, w.position_fen, w.cap_fen) for w in reference.warnings]
        and adapted == reference)
    counts = np.bincount(out.fates, minlength=3).tolist()
    vector_median, loop_median = median(vector_s), median(loop_s)
    return {
        "netting_items": items, "banks": BANKS, "tight_cap_banks": TIGHT_BANKS,
        "realtime_share": REALTIME_SHARE, "rounds": ROUNDS,
        "netted": counts[0], "queued": counts[1], "refused": counts[2],
        "released_from_queues": int(out.netted.size) - counts[0],
        "warnings": len(out.warnings), "items_decided_one_by_one": out.events,
        "vector_s": [round(s, 4) for s in vector_s], "loop_s": [round(s, 3) for s in loop_s],
        "netting_items_per_s": round(items / vector_median),
        "loop_items_per_s": round(items / loop_median),
        "vector_vs_loop_ratio": round(loop_median / vector_median, 1),
        "adapter_from_flows_items_per_s": round(items / adapter_s),
        "decisions_identical": identical,
        "loop_is": "netting.net_arrivals over Flow objects (the handlers' item-by-item rules)",
        "vector_is": "netting_vector.decide over int16 bank numbers, int64 fen, bool flags",
        "targets": {"netting_items_per_s": TARGET_ITEMS_PER_S, "ratio": TARGET_RATIO},
    }


def run(log: Callable[[str], None], day_items: int = clearing_day.DAY_ITEMS) -> dict[str, Any]:
    """Both parts of issue 22's benchmark: netting in memory, then the day on PostgreSQL."""
    results = run_netting(log)
    results["day"] = clearing_day.run_day(log, day_items)
    for key in ("day_items", "day_s", "parse_only_s", "day_vs_parse_ratio"):
        results[key] = results["day"][key]
    return results


def main() -> None:
    """``python -m bench.clearing_bench [netting | day N | all N]`` → bench/results/clearing.json
    (a part run alone keeps the other part's last figures)."""
    import json
    import sys

    from bench.run import RESULTS, save, stamp
    log = lambda message: print(f"[clearing] {message}", flush=True)  # noqa: E731
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    items = int(sys.argv[2]) if len(sys.argv) > 2 else clearing_day.DAY_ITEMS
    path = RESULTS / "clearing.json"
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if what == "netting":
        results.update(run_netting(log))
    elif what == "day":
        results["day"] = clearing_day.run_day(log, items)
        for key in ("day_items", "day_s", "parse_only_s", "day_vs_parse_ratio"):
            results[key] = results["day"][key]
    else:
        results = run(log, items)
    stamp(results)
    save("clearing.json", results)
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    main()

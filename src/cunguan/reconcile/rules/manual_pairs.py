"""Pairing items in transit by hand (人工勾对, R-B2 (1)): an operator pairs bank lines and book
items the engine left in transit on one account, when they are the same money. They must
agree to the fen, or their difference (bank − books) must be the difference of a break that
is written off or resolved (the engine pairs exact amounts only: a channel's settlement that
arrived 0.01 yuan short after its fee break was written off). Paired, they have arrived: they
leave the in-transit items (未达账项) of R-B3's identities and of reports 9 and 10, so the
difference is counted once — by the break's adjustment — not twice.

A pair is a fact the operator stated: when the day is matched again on changed inputs, each
of its pairs is made again as it was, if its items are still open and its break still
explains it; the run names the pairs it kept and those it could not keep."""

from collections.abc import Sequence
from dataclasses import dataclass

from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import Direction

#: The break states whose difference explains a pair's (rules.breaks.BreakState's closed ones).
EXPLAINING_STATES = frozenset({"written_off", "resolved"})


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An item in transit on the account at the day's end: its side (bank/book), key,
    direction on the bank account and amount (> 0)."""

    side: str
    key: str
    direction: Direction
    amount_fen: int

    @property
    def signed_fen(self) -> int:
        return self.amount_fen if self.direction is Direction.CREDIT else -self.amount_fen


def difference_fen(items: Sequence[OpenItem]) -> int:
    """Bank − books of the paired items (money in counted +), as a break's difference is."""
    return sum(i.signed_fen if i.side == "bank" else -i.signed_fen for i in items)


def judge(wanted: Sequence[tuple[str, str]], open_items: dict[tuple[str, str], OpenItem],
          explaining: tuple[str, int] | None) -> tuple[OpenItem, ...]:
    """The items to pair, or the named refusal: every (side, key) wanted is open, both sides
    are there, and the difference is 0 or the cited break's (``explaining``: its state and
    difference_fen)."""
    missing = [f"{side}:{key}" for side, key in wanted if (side, key) not in open_items]
    sides = {side for side, _ in wanted}
    if missing or sides != {"bank", "book"}:
        raise ReconcileError(Refusal.IN_TRANSIT_ITEM_NOT_OPEN,
                             "pair bank lines with book items that are in transit on the "
                             "account", items=missing or sorted(sides))
    items = tuple(open_items[w] for w in wanted)
    difference = difference_fen(items)
    if difference and (explaining is None or explaining[0] not in EXPLAINING_STATES
                       or explaining[1] != difference):
        raise ReconcileError(Refusal.IN_TRANSIT_PAIR_UNEXPLAINED,
                             f"the pair differs by {difference} fen (bank − books) and no "
                             "written-off or resolved break of that difference is cited",
                             difference_fen=difference)
    return items


def group_id(explained_by: int | None, first_key: str) -> str:
    """A pair's group id: the break it cites (if any) and its first item's key."""
    return f"m:{explained_by or ''}:{first_key}"


def cited_break(group: str) -> int | None:
    """The break a pair's group id cites, or None (``group_id``'s inverse)."""
    cited = group.split(":", 2)[1]
    return int(cited) if cited else None

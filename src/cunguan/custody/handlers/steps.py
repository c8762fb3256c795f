"""The steps of a set-based custody call: a request's plan of ledger commands, its outcome or
refusal, and the rounds in which requests on the same key run one after the other."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from cunguan.core.errors import CunguanError
from cunguan.custody.handlers.requests import Data
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.ledger.model import Command, Result

_R = TypeVar("_R")
_O = TypeVar("_O")


@dataclass(frozen=True, slots=True)
class Planned:
    """A request that passed the custody checks: its ledger commands (one all-or-nothing
    chain), and what to record and answer once they are posted (given their results)."""

    commands: list[Command]
    done: Callable[[list[Result]], Data]


def only(outcome: "Data | CunguanError") -> Data:
    """The single form of a set-based step: its one outcome, a refusal raised."""
    if isinstance(outcome, CunguanError):
        raise outcome
    return outcome


def attempt(step: Callable[[_R], _O], request: _R) -> "_O | CunguanError":
    """What ``step`` makes of a request (its plan, its data), or the refusal its checks
    raised."""
    try:
        return step(request)
    except CunguanError as exc:
        return exc


def by_rounds(items: Sequence[_R], key: Callable[[_R], str],
              run: Callable[[list[_R]], list[_O]]) -> list[_O]:
    """``run`` over ``items`` in rounds in which no key repeats, each key's items in their
    order, the outcomes given back in the items' order: two requests of one call on the same
    project run one after the other, the second seeing what the first did."""
    pending = list(range(len(items)))
    outcomes: dict[int, _O] = {}
    while pending:
        seen: set[str] = set()
        chosen: list[int] = []
        later: list[int] = []
        for index in pending:
            (later if key(items[index]) in seen else chosen).append(index)
            seen.add(key(items[index]))
        for index, outcome in zip(chosen, run([items[i] for i in chosen]), strict=True):
            outcomes[index] = outcome
        pending = later
    return [outcomes[index] for index in range(len(items))]


def by_runs(items: Sequence[_R], key: Callable[[_R], str],
            run: Callable[[list[_R]], list[_O]]) -> list[_O]:
    """``run`` over ``items`` cut, in their order, into runs in which no key repeats: a run
    ends where its next item's key is one it has. Unlike ``by_rounds``, no item runs before
    one that came earlier, so what they share beside the key (a buyer's money, posted by the
    ledger in the order of its chains) is spent in arrival order."""
    outcomes: list[_O] = []
    start = 0
    while start < len(items):
        seen: set[str] = set()
        end = start
        while end < len(items) and key(items[end]) not in seen:
            seen.add(key(items[end]))
            end += 1
        outcomes += run(list(items[start:end]))
        start = end
    return outcomes


def need_active(users: dict[str, Any], user_id: str) -> Any:
    """The user's row from a set-based read, or the refusal the single form gives."""
    row = users.get(user_id)
    if row is None:
        raise CustodyError(Refusal.USER_NOT_FOUND, f"no user_id {user_id}")
    if row.status != "active":
        raise CustodyError(Refusal.USER_NOT_ACTIVE, f"user {user_id} is {row.status}")
    return row

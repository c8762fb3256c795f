"""Shared set-up for ledger tests: one tenant with a custody-like chart of accounts."""

import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import Engine

from cunguan.core.clock import CST, FixedClock
from cunguan.ledger.model import AccountFlag, AccountSpec, Side
from cunguan.ledger.service import LedgerService

T = TypeVar("T")

TENANT = "P1"
DAY = date(2026, 11, 23)
SUMMARY, FEE, MARKETING, OD = "SUMMARY", "FEE", "MARKETING", "OD"
USERS = ("U1", "U2", "U3", "U4")


def chart() -> list[AccountSpec]:
    return [
        AccountSpec(SUMMARY, "bank", "custody_summary", "1002", Side.DEBIT),
        AccountSpec(FEE, "P1", "platform_fee", "2241", Side.CREDIT, AccountFlag.IN_ONLY),
        AccountSpec(MARKETING, "P1", "platform_marketing", "2242", Side.CREDIT,
                    AccountFlag.OUT_ONLY),
        AccountSpec(OD, "P1", "advance", "2245", Side.CREDIT, AccountFlag.OVERDRAFT, 50_000),
        *(AccountSpec(u, f"user-{u}", "lender", "2011", Side.CREDIT) for u in USERS),
    ]


def ledger_with_tenant(engine: Engine, clock: FixedClock | None = None) -> LedgerService:
    clock = clock or FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=CST))
    ledger = LedgerService(engine, clock=clock)
    ledger.create_tenant(TENANT, "Platform one", DAY)
    ledger.open_accounts(TENANT, chart())
    return ledger


def balances(ledger: LedgerService) -> dict[str, tuple[int, int]]:
    return {a.account_no: (a.balance_fen, a.frozen_fen) for a in ledger.accounts(TENANT)}


def in_threads(count: int, act: Callable[[int], T]) -> list[T]:
    """``act(0)`` … ``act(count - 1)``, each in its own thread, all at once: their results
    (in the order they finished). The first error of any thread is raised here."""
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            result = act(index)
        except BaseException as exc:  # raised below, in the test's own thread
            errors.append(exc)
            return
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results

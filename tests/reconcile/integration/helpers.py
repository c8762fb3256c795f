"""Set-up for reconciliation's database tests: a tenant with a custody-like chart whose
SUMMARY account mirrors the custody bank account, and statements built by hand."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine

from cunguan.core.clock import CST, FixedClock
from cunguan.ledger.service import LedgerService
from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules import register
from cunguan.reconcile.rules.statements import Direction, Statement, StatementLine
from tests.helpers import DAY, SUMMARY, TENANT, ledger_with_tenant

BANK_ACCOUNT = "6222020200112233"
OPERATOR = "ops-alice"


@dataclass
class World:
    ledger: LedgerService
    recon: ReconcileService
    clock: FixedClock


def world(engine: Engine) -> World:
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=CST))
    ledger = ledger_with_tenant(engine, clock)
    recon = ReconcileService(engine, ledger, clock=clock)
    recon.add_account(register.bank_account(BANK_ACCOUNT, "ICBC", "custody", tenant_id=TENANT,
                                            mirrors=[SUMMARY]), operator=OPERATOR)
    return World(ledger, recon, clock)


def line(no: int, direction: Direction, amount_fen: int, *, ref: str = "",
         day: date = DAY, **more: object) -> StatementLine:
    return StatementLine(line_no=no, value_date=day, booking_date=day, direction=direction,
                         amount_fen=amount_fen, bank_ref=f"B{day:%m%d}{no:05d}",
                         end_to_end_ref=ref, **more)  # type: ignore[arg-type]


def statement(statement_id: str, opening_fen: int, lines: Sequence[StatementLine], *,
              day: date = DAY, account_no: str = BANK_ACCOUNT) -> Statement:
    closing = opening_fen + sum(item.signed_fen for item in lines)
    return Statement("test", statement_id, account_no, "CNY", day, day, opening_fen, closing,
                     tuple(lines))

"""A clearing system on a real database with four banks, for the integration tests."""

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from cunguan.clearing.handlers.base import settlement_account
from cunguan.clearing.handlers.service import ClearingService
from cunguan.core.clock import CST, FixedClock

DAY = date(2026, 12, 7)                      # a Monday, a working day
ICBC, CCB, BOC, ABC = "102100099996", "105100000017", "104100000004", "103100000026"
COUNTY = "313100000013"                      # an indirect participant behind ICBC


def clearing(engine: Engine, *, day: date = DAY, at: tuple[int, int] = (9, 0)
             ) -> tuple[ClearingService, FixedClock]:
    clock = FixedClock(datetime(day.year, day.month, day.day, *at, tzinfo=CST))
    service = ClearingService(engine, clock=clock)
    service.create_system(day)
    for code, name in ((ICBC, "ICBC"), (CCB, "CCB"), (BOC, "BOC"), (ABC, "ABC")):
        service.add_participant(code, name, "direct")
    service.add_participant(COUNTY, "a county bank", "indirect", ICBC)
    return service, clock


def item(no: int, debtor: str, creditor: str, amount_fen: int, term: int = 0
         ) -> dict[str, Any]:
    return {"item_no": no, "end_to_end_id": f"E{no}", "debtor_bank": debtor,
            "debtor_account": f"6222{no:06d}", "debtor_name": "张三", "creditor_bank": creditor,
            "creditor_account": f"6217{no:06d}", "creditor_name": "李四",
            "amount_fen": amount_fen, "debit_term_days": term}


def package(message_id: str, kind: str, sender: str, receiver: str,
            items: list[dict[str, Any]], day: date = DAY) -> dict[str, Any]:
    return {"message_id": message_id, "business_type": kind, "sender_bank": sender,
            "receiver_bank": receiver, "work_date": day.isoformat(),
            "control_count": len(items),
            "control_sum_fen": sum(i["amount_fen"] for i in items), "items": items}


def credit(message_id: str, payer: str, payee: str, *amounts: int,
           kind: str = "ordinary_credit") -> dict[str, Any]:
    return package(message_id, kind, payer, payee,
                   [item(i + 1, payer, payee, a) for i, a in enumerate(amounts)])


def settlement_balance(service: ClearingService, bank: str) -> tuple[int, int]:
    account = service.ledger.account(service.system_id, settlement_account(bank))
    return account.balance_fen, account.frozen_fen


def later(clock: FixedClock, **delta: float) -> None:
    clock.advance(timedelta(**delta))

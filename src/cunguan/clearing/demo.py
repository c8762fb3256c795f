"""A BEPS day end to end on a fresh database (``cunguan demo clearing``): 20 banks, items of
every business type through the six sessions, a cap breach queued then released, a real-time
refusal, each exception once, settlement on the ledger, cutover, a top-down reconciliation that
passes, then a legal holiday's one netting settled on the next working day.

Every figure the demo prints comes from the clearing service's own answers; ``run`` returns
them so a test can check the day (tests/e2e/test_clearing_demo.py)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.rules.parameters import ClearingParameters
from cunguan.clearing.rules.refusals import ClearingError
from cunguan.core.clock import CST, FixedClock
from cunguan.db.connection import Engine

#: A working day followed by the National Day holidays (2026-10-01 … 07 on the calendar).
DAY = date(2026, 9, 30)
HOLIDAY = date(2026, 10, 1)
#: 16 direct participants (bank category code + a head office) and 4 indirect ones.
DIRECT = tuple(f"{category}100000{i:03d}"[:12] for i, category in enumerate(
    ("102", "103", "104", "105", "301", "302", "303", "304", "305", "306", "307", "308",
     "309", "310", "313", "403")))
INDIRECT = tuple(f"314{i:03d}000001" for i in range(4))      # rural banks behind the first 4
FEE_PER_ITEM_FEN = 50


@dataclass
class DemoDay:
    """What happened, as the service answered it."""

    steps: list[tuple[str, str]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    settlements: list[dict[str, Any]] = field(default_factory=list)
    day_end: dict[str, Any] = field(default_factory=dict)
    holiday: dict[str, Any] = field(default_factory=dict)
    positions_after: list[dict[str, Any]] = field(default_factory=list)

    def note(self, what: str, outcome: object) -> None:
        self.steps.append((what, str(outcome)))


def _item(no: int, debtor: str, creditor: str, amount_fen: int, term: int = 0
          ) -> dict[str, Any]:
    return {"item_no": no, "end_to_end_id": f"E{no:04d}", "debtor_bank": debtor,
            "debtor_account": f"6222{no:08d}", "debtor_name": "付款人",
            "creditor_bank": creditor, "creditor_account": f"6217{no:08d}",
            "creditor_name": "收款人", "amount_fen": amount_fen, "debit_term_days": term}


def _package(msg: str, kind: str, sender: str, receiver: str, day: date,
             items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"message_id": msg, "business_type": kind, "sender_bank": sender,
            "receiver_bank": receiver, "work_date": day.isoformat(),
            "control_count": len(items), "control_sum_fen": sum(i["amount_fen"] for i in items),
            "items": items}


def _clearing_bank(code: str) -> str:
    return code if code in DIRECT else DIRECT[INDIRECT.index(code)]


class _Script:
    def __init__(self, engine: Engine) -> None:
        self.clock = FixedClock(datetime.combine(DAY, time(8, 30), CST))
        self.bank = ClearingService(engine, clock=self.clock)
        self.day = DemoDay()
        self.seq = 0

    def at(self, hh: int, mm: int, on: date = DAY) -> None:
        self.clock.advance(datetime.combine(on, time(hh, mm), CST) - self.clock())

    def credit(self, kind: str, payer: str, payee: str, *amounts: int,
               sender: str | None = None, on: date = DAY) -> Any:
        self.seq += 1
        items = [_item(self.seq * 100 + i, payer, payee, a) for i, a in enumerate(amounts)]
        receiver = _clearing_bank(payee)
        origin = sender or _clearing_bank(payer)
        return self.bank.submit_package(_package(f"M{self.seq:05d}", kind, origin, receiver,
                                                 on, items))

    def set_up(self) -> None:
        self.bank.create_system(DAY, ClearingParameters(fee_per_item_fen=FEE_PER_ITEM_FEN))
        for i, code in enumerate(DIRECT):
            self.bank.add_participant(code, f"清算行{i + 1:02d}", "direct")
            self.bank.fund(f"fund-{code}", code, 50_000_000)
            small = i == len(DIRECT) - 1
            self.bank.set_cap(code, collateral_fen=0 if small else 20_000_000,
                              haircut_bps=9_000, credit_line_fen=100_000 if small
                              else 5_000_000)
        for i, code in enumerate(INDIRECT):
            self.bank.add_participant(code, f"农商行{i + 1}", "indirect", DIRECT[i])
        self.day.note("participants", f"{len(DIRECT)} direct, {len(INDIRECT)} indirect")

    def close_and_settle(self) -> None:
        for submitted in self.bank.close_sessions():
            self.day.sessions.append(submitted)
        self.day.settlements += self.bank.settle()


def _ordinary_traffic(s: _Script, hour: int) -> None:
    """A session's worth of credits between the big banks (and their rural banks)."""
    for i in range(6):
        payer, payee = DIRECT[(i + hour) % 12], DIRECT[(i + hour + 5) % 12]
        s.credit("ordinary_credit", payer, payee, 120_000 + 10_000 * i, 35_000)
    s.credit("periodic_credit", DIRECT[hour % 4], DIRECT[8], *[8_000] * 12)
    s.credit("ordinary_credit", INDIRECT[hour % 4], DIRECT[9], 66_600)


def _exceptions(s: _Script) -> None:
    small = DIRECT[-1]
    queued = s.credit("ordinary_credit", small, DIRECT[0], 150_000)
    s.day.note("cap breach: 1,500.00 yuan from the smallest bank (cap 1,000.00)",
               queued.states[0][1])
    s.bank.earmark("earmark-small", small, 100_000)
    s.day.note("earmark 1,000.00 yuan: the queue is released", s.bank.item_state(
        queued.states[0][0]))
    try:
        s.credit("realtime_credit", small, DIRECT[1], 5_000_000)
    except ClearingError as refused:
        s.day.note("real-time 50,000.00 yuan over the small bank's cap", refused.code)
    rt = s.credit("realtime_credit", DIRECT[2], DIRECT[3], 20_000)
    s.day.note("real-time credit answered paid", s.bank.answer_items(
        [rt.states[0][0]], DIRECT[3], paid=True)[rt.states[0][0]])
    late = s.credit("realtime_credit", DIRECT[4], DIRECT[5], 30_000)
    s.clock.advance(timedelta(seconds=21))
    s.day.note("reversal (冲正) of a real-time item with no answer after 20 s",
               s.bank.reverse(late.states[0][0], DIRECT[4])["state"])
    s.bank.set_cap(small, collateral_fen=0, haircut_bps=0, credit_line_fen=0)
    s.credit("ordinary_credit", small, DIRECT[0], 7_000)       # over the lowered cap: queued
    s.day.note("revoke (撤销) of a package still queued", s.bank.revoke(
        small, f"M{s.seq:05d}", small)["state"])
    s.bank.set_cap(small, collateral_fen=0, haircut_bps=0, credit_line_fen=100_000)
    debits = _package(f"D{s.seq:05d}", "periodic_debit", DIRECT[6], DIRECT[7], DAY,
                      [_item(9_001, DIRECT[7], DIRECT[6], 12_000, 1),
                       _item(9_002, DIRECT[7], DIRECT[6], 13_000, 1)])
    first, second = (i for i, _ in s.bank.submit_package(debits).states)
    s.bank.request_stop(second, DIRECT[6])
    s.day.note("stop-payment (止付) asked and accepted",
               s.bank.answer_stop(second, DIRECT[7], accepted=True)["state"])
    s.day.note("the other debit's receipt: paid", s.bank.answer_items(
        [first], DIRECT[7], paid=True)[first])
    back = s.credit("ordinary_credit", DIRECT[8], DIRECT[9], 44_400)
    s.day.note("return (退回) of a netted credit not yet credited",
               s.bank.return_item(back.states[0][0], DIRECT[9])["state"])
    info = _package(f"I{s.seq:05d}", "information", DIRECT[10], DIRECT[11], DAY,
                    [_item(9_100, DIRECT[10], DIRECT[11], 0)])
    s.day.note("information message", s.bank.submit_package(info).states[0][1])


def _holiday(s: _Script) -> None:
    s.at(11, 0, HOLIDAY)
    for i in range(3):
        s.credit("ordinary_credit", DIRECT[i], DIRECT[i + 3], 10_000 * (i + 1), on=HOLIDAY)
    s.at(15, 0, HOLIDAY)
    no_sessions = s.bank.close_sessions()
    cut = s.bank.cutover()
    s.day.holiday = {"timed_sessions_closed": len(no_sessions),
                     "submitted": cut["submitted"],
                     "settled_on_holiday": s.bank.settle()}
    settles_on = date.fromisoformat(cut["submitted"][0]["settles_on"])
    s.at(9, 0, settles_on)
    s.day.holiday["settled_next_working_day"] = s.bank.settle()


def run(engine: Engine) -> DemoDay:
    """The whole demo day on ``engine`` (a migrated, empty database)."""
    s = _Script(engine)
    s.set_up()
    for hour in (9, 10, 11, 12, 13, 14, 15):   # traffic before each of the six sessions
        s.at(hour, 30)
        _ordinary_traffic(s, hour)
        if hour == 11:
            _exceptions(s)
        s.close_and_settle()
    s.at(16, 5)
    s.close_and_settle()                       # the sixth session, 16:00
    s.at(16, 45)
    _ordinary_traffic(s, 16)
    cut = s.bank.cutover()
    s.day.sessions += cut["submitted"]         # the session at cutover
    s.at(17, 0, DAY + timedelta(days=1))
    s.day.settlements += s.bank.settle()
    # each participant kept exact books: its own figures are the NPC's
    s.day.day_end = s.bank.day_end(DAY.isoformat(), reports=s.bank.npc_figures(DAY))
    _holiday(s)
    s.day.positions_after = s.bank.positions()
    return s.day


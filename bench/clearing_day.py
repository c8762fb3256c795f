"""Clearing (BEPS) benchmark, issue 22: a day of ``DAY_ITEMS`` items end to end on PostgreSQL,
beside the time lxml takes only to parse the same files, in the same run.

Files in: pacs.008 (ordinary and periodic credits) and pacs.003 (ordinary debits, T+0) written
by the project's writer, ``ITEMS_PER_PACKAGE`` items a package (one message a file), each
package from one direct participant's customers to another's. Timed, stage by stage:
intake (each session's files through ``submit_files``: read streaming and XSD-checked by two
worker processes ahead, then in file order the package checks → netting with the cap check →
COPY, and the planner's statistics refreshed at the end), the debits' receipts (the payer
banks answer paid, then they net), six sessions closed and settled on the ledger, pacs.002
out (the answer to every package and each sender bank's receipts report) and camt.053 out
(every direct participant's settlement-account statement). The reference:
``lxml.etree.iterparse`` over the same files, no schema, elements cleared as read (the least
any reader must do), timed before and after the day; ``parse_only_s`` is their mean.
"""

import random
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from lxml import etree

from bench.ledger_bench import ADMIN_URL
from cunguan.clearing.handlers import messages
from cunguan.clearing.handlers.packages import Intake
from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.iso20022.records import Header
from cunguan.clearing.iso20022.writer import write_package
from cunguan.clearing.rules.packages import Item, Package
from cunguan.clearing.rules.parameters import BusinessType, ClearingParameters
from cunguan.core.clock import CST, FixedClock
from cunguan.db.connection import make_engine, normalise_url, upgrade

DAY_ITEMS = 1_000_000
ITEMS_PER_PACKAGE = 2_000
BANKS = 50
DEBIT_SHARE = 0.1
DAY = date(2026, 9, 29)
#: Traffic before each of the six sessions (10:00, 11:00, 13:00, 14:00, 15:00, 16:00).
TRAFFIC_AT = (clock_time(9, 30), clock_time(10, 30), clock_time(12, 0), clock_time(13, 30),
              clock_time(14, 30), clock_time(15, 30))
CLOSE_AT = (clock_time(10, 5), clock_time(11, 5), clock_time(13, 5), clock_time(14, 5),
            clock_time(15, 5), clock_time(16, 5))
DAY_DB = "cunguan_clearing_bench"
TARGET_DAY_S = 120
TARGET_PARSE_RATIO = 3


def bank_codes() -> list[str]:
    return [f"{100 + i:03d}100000{i:03d}" for i in range(BANKS)]


def _packages(items: int, seed: int) -> list[Package]:
    rng = random.Random(seed)
    codes = bank_codes()
    weights = [1 / (i + 1) ** 0.9 for i in range(BANKS)]
    out, made = [], 0
    while made < items:
        count = min(ITEMS_PER_PACKAGE, items - made)
        payer, payee = rng.choices(codes, weights, k=2)
        while payee == payer:
            payee = rng.choice(codes)
        debit = rng.random() < DEBIT_SHARE
        kind = (BusinessType.ORDINARY_DEBIT if debit else rng.choice(
            [BusinessType.ORDINARY_CREDIT, BusinessType.PERIODIC_CREDIT]))
        no = len(out) + 1
        lines = tuple(Item(i + 1, f"E{no:05d}{i:05d}", payer, f"6222{no:05d}{i:06d}", "付款人",
                           payee, f"6217{no:05d}{i:06d}", "收款人",
                           min(5_000_000, int(rng.lognormvariate(11.5, 1.2)) + 1))
                      for i in range(count))
        sender, receiver = (payee, payer) if debit else (payer, payee)
        out.append(Package(f"M{no:06d}", kind, sender, receiver, DAY, count,
                           sum(i.amount_fen for i in lines), lines))
        made += count
    return out


def write_files(folder: Path, items: int, seed: int = 22) -> list[list[Path]]:
    """The day's files, split among the six sessions' traffic."""
    packages = _packages(items, seed)
    created = datetime.combine(DAY, clock_time(9), CST)
    per_session: list[list[Path]] = [[] for _ in TRAFFIC_AT]
    for n, package in enumerate(packages):
        path = folder / f"{package.message_id}.xml"
        path.write_bytes(write_package(package, Header(package.message_id, created,
                                                       package.sender_bank,
                                                       package.receiver_bank)))
        per_session[n * len(TRAFFIC_AT) // len(packages)].append(path)
    return per_session


def parse_only(files: list[Path]) -> int:
    """lxml alone: every element of every file parsed, cleared as it ends."""
    count = 0
    for path in files:
        for _, elem in etree.iterparse(str(path), events=("end",)):
            count += 1
            elem.clear()
    return count


def _recreate(name: str) -> str:
    from sqlalchemy import create_engine, text
    admin = create_engine(normalise_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _set_up(service: ClearingService) -> None:
    service.create_system(DAY, ClearingParameters())
    for i, code in enumerate(bank_codes()):
        service.add_participant(code, f"清算行{i + 1:02d}", "direct")
        service.fund(f"fund-{code}", code, 10**13)
        service.set_cap(code, collateral_fen=0, haircut_bps=0,
                        credit_line_fen=5 * 10**10 if i < BANKS - 3 else 2 * 10**8)


class _Stages:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def timed(self, stage: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        out = fn()
        self.seconds[stage] += time.perf_counter() - started
        return out


def _intake(service: ClearingService, files: list[Path], stages: _Stages,
            statuses: dict[str, int], out: Path) -> dict[str, list[str]]:
    """A session's files taken (read by ``submit_files``'s worker processes ahead of the
    intake) and answered; the debits awaiting their receipts by payer bank. The intake stage
    is the loop's time less the answers written in it."""
    debits: dict[str, list[str]] = defaultdict(list)
    started = time.perf_counter()
    answers_before = stages.seconds["pacs002_out"]
    for _path, taken in messages.submit_files(service, files):
        if not isinstance(taken, list):
            raise taken
        for package, intake in taken:
            if not isinstance(intake, Intake):
                raise intake
            answer = stages.timed("pacs002_out", lambda p=package, i=intake:
                                  messages.intake_answer(service, p, i, None))
            (out / f"A{package.message_id}.xml").write_bytes(answer)
            for item_id, state in intake.states:
                statuses[state] += 1
                if state == "awaiting_receipt":
                    debits[package.receiver_bank].append(item_id)
    stages.seconds["intake"] += (time.perf_counter() - started
                                 - (stages.seconds["pacs002_out"] - answers_before))
    return debits


def run_day(log: Callable[[str], None], items: int = DAY_ITEMS) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="clearing-day-"))
    out = folder / "out"
    out.mkdir()
    try:
        started = time.perf_counter()
        per_session = write_files(folder, items)
        files = [p for session in per_session for p in session]
        log(f"{items:,} items in {len(files)} files written in "
            f"{time.perf_counter() - started:.1f} s "
            f"({sum(p.stat().st_size for p in files) / 2**20:.0f} MiB)")
        started = time.perf_counter()
        elements = parse_only(files)
        parse_before_s = time.perf_counter() - started
        log(f"parse only (lxml iterparse): {parse_before_s:.1f} s, {elements:,} elements")
        engine = make_engine(_recreate(DAY_DB))
        upgrade(engine)
        clock = FixedClock(datetime.combine(DAY, clock_time(8, 30), CST))
        service = ClearingService(engine, clock=clock)
        _set_up(service)
        stages = _Stages()
        day_started = time.perf_counter()
        statuses: dict[str, int] = defaultdict(int)
        for traffic_at, close_at, session_files in zip(TRAFFIC_AT, CLOSE_AT, per_session,
                                                       strict=True):
            clock.advance(datetime.combine(DAY, traffic_at, CST) - clock())
            debits = _intake(service, session_files, stages, statuses, out)
            for bank, ids in debits.items():
                for at in range(0, len(ids), 10_000):
                    stages.timed("receipts_in", lambda b=bank, chunk=ids[at:at + 10_000]:
                                 service.answer_items(chunk, b, paid=True))
            clock.advance(datetime.combine(DAY, close_at, CST) - clock())
            submitted = stages.timed("sessions", service.close_sessions)
            settled = stages.timed("settlement", service.settle)
            log(f"session {len(stages.seconds) and close_at}: "
                f"{sum(s['items'] for s in submitted):,} items submitted, "
                f"{sum(1 for s in settled if s['settled'])} settled; "
                f"{time.perf_counter() - day_started:.1f} s so far")
        for code in bank_codes():
            report = stages.timed("pacs002_out", lambda c=code: messages.receipts_report(
                service, c))
            (out / f"R{code}.xml").write_bytes(report)
            statement = stages.timed("camt053_out", lambda c=code: messages.settlement_statement(
                service, c, DAY))
            (out / f"S{code}.xml").write_bytes(statement)
        day_s = time.perf_counter() - day_started
        positions = service.positions()
        engine.dispose()
        # the reference again after the day: the load on a shared machine drifts within the
        # run, so the day is compared with the mean of the parse before and after it
        started = time.perf_counter()
        parse_only(files)
        parse_after_s = time.perf_counter() - started
        log(f"parse only again: {parse_after_s:.1f} s")
        parse_s = (parse_before_s + parse_after_s) / 2
        return {"day_items": items, "files": len(files), "items_per_package": ITEMS_PER_PACKAGE,
                "banks": BANKS, "debit_share": DEBIT_SHARE, "day_s": round(day_s, 1),
                "parse_only_s": round(parse_s, 2),
                "parse_only_before_after_s": [round(parse_before_s, 2), round(parse_after_s, 2)],
                "day_vs_parse_ratio": round(day_s / parse_s, 1),
                "stage_s": {k: round(v, 1) for k, v in stages.seconds.items()},
                "item_states_at_intake": dict(statuses),
                "unsettled_positions_after": sum(abs(p["position_fen"]) for p in positions),
                "targets": {"day_s": TARGET_DAY_S, "day_vs_parse_ratio": TARGET_PARSE_RATIO}}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    import json
    import sys
    result = run_day(lambda m: print(f"[clearing day] {m}", flush=True),
                     int(sys.argv[1]) if len(sys.argv) > 1 else DAY_ITEMS)
    print(json.dumps(result, indent=2))
    _ = timedelta

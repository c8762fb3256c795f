"""SQL of the clearing systems, their participants and earmarks."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cunguan.clearing.rules.caps import NetDebitCap
from cunguan.clearing.rules.parameters import ClearingParameters
from cunguan.clearing.rules.participants import Participant, Role, Status
from cunguan.clearing.store.tables import (
    clearing_earmarks,
    clearing_participants,
    clearing_systems,
)
from cunguan.db import bulk


def _times_text(times: Iterable[time]) -> str:
    return ",".join(f"{t:%H:%M}" for t in times)


def _times(text: str) -> tuple[time, ...]:
    return tuple(time.fromisoformat(part) for part in text.split(",") if part)


def insert_system(conn: Connection, system_id: str, work_date: date,
                  params: ClearingParameters, now: datetime) -> None:
    conn.execute(insert(clearing_systems).values(
        system_id=system_id, work_date=work_date, created_at=now,
        **_params_row(params)))


def _params_row(params: ClearingParameters) -> dict[str, Any]:
    return {"session_times": _times_text(params.session_times),
            "credit_item_max_fen": params.credit_item_max_fen,
            "debit_answer_days_max": params.debit_answer_days_max,
            "realtime_receipt_timeout_s": params.realtime_receipt_timeout_s,
            "cap_warning_used_pcts": ",".join(str(p) for p in params.cap_warning_used_pcts),
            "fee_per_item_fen": params.fee_per_item_fen}


def update_parameters(conn: Connection, system_id: str, params: ClearingParameters) -> None:
    conn.execute(update(clearing_systems).where(clearing_systems.c.system_id == system_id)
                 .values(**_params_row(params)))


def system(conn: Connection, system_id: str, *, lock: bool = False
           ) -> tuple[date, ClearingParameters] | None:
    """The system's working day and parameters (locked for a cutover)."""
    query = select(clearing_systems).where(clearing_systems.c.system_id == system_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    return row.work_date, ClearingParameters(
        credit_item_max_fen=row.credit_item_max_fen,
        debit_answer_days_max=row.debit_answer_days_max,
        realtime_receipt_timeout_s=row.realtime_receipt_timeout_s,
        session_times=_times(row.session_times),
        cap_warning_used_pcts=tuple(int(p) for p in row.cap_warning_used_pcts.split(",") if p),
        fee_per_item_fen=row.fee_per_item_fen)


def set_work_date(conn: Connection, system_id: str, work_date: date) -> None:
    conn.execute(update(clearing_systems).where(clearing_systems.c.system_id == system_id)
                 .values(work_date=work_date))


def insert_participant(conn: Connection, system_id: str, member: Participant,
                       settlement_account_no: str | None, now: datetime) -> None:
    conn.execute(insert(clearing_participants).values(
        system_id=system_id, bank_code=member.bank_code, name=member.name,
        role=member.role.value, clearing_bank_code=member.clearing_bank_code,
        status=member.status.value, settlement_account_no=settlement_account_no,
        created_at=now))


def register(conn: Connection, system_id: str) -> dict[str, Participant]:
    """Every participant by bank code (a register has hundreds of rows, not millions)."""
    rows = conn.execute(select(clearing_participants).where(
        clearing_participants.c.system_id == system_id)).all()
    return {r.bank_code: Participant(r.bank_code, r.name, Role(r.role), r.clearing_bank_code,
                                     Status(r.status)) for r in rows}


def banks(conn: Connection, system_id: str, codes: Iterable[str] | None = None, *,
          lock: bool = False) -> dict[str, Any]:
    """Direct participants' rows (caps, positions), locked in bank-code order when asked, so
    two processes netting at once never wait on each other in a cycle."""
    c = clearing_participants.c
    query = select(clearing_participants).where(c.system_id == system_id, c.role == "direct")
    if codes is not None:
        query = query.where(c.bank_code.in_(sorted(set(codes))))
    query = query.order_by(c.bank_code)
    rows = conn.execute(query.with_for_update() if lock else query).all()
    return {r.bank_code: r for r in rows}


def cap_of(row: Any) -> NetDebitCap:
    return NetDebitCap(row.collateral_fen, row.haircut_bps, row.credit_line_fen,
                       row.earmarked_fen)


def set_cap_parts(conn: Connection, system_id: str, bank_code: str, **parts: int) -> None:
    c = clearing_participants.c
    conn.execute(update(clearing_participants)
                 .where(c.system_id == system_id, c.bank_code == bank_code).values(**parts))


def set_positions(conn: Connection, system_id: str, positions: Mapping[str, int]) -> None:
    bulk.update_rows(conn, clearing_participants, ("system_id", "bank_code"), [
        {"system_id": system_id, "bank_code": bank_code, "position_fen": position}
        for bank_code, position in sorted(positions.items())])


def set_status(conn: Connection, system_id: str, bank_code: str, status: Status) -> None:
    c = clearing_participants.c
    conn.execute(update(clearing_participants)
                 .where(c.system_id == system_id, c.bank_code == bank_code)
                 .values(status=status.value))


def insert_earmark(conn: Connection, system_id: str, request_no: str, bank_code: str,
                   amount_fen: int, hold_id: int, now: datetime) -> None:
    conn.execute(insert(clearing_earmarks).values(
        system_id=system_id, request_no=request_no, bank_code=bank_code,
        amount_fen=amount_fen, hold_id=hold_id, created_at=now))


def earmark(conn: Connection, system_id: str, request_no: str) -> Any:
    c = clearing_earmarks.c
    return conn.execute(select(clearing_earmarks).where(
        c.system_id == system_id, c.request_no == request_no)).first()


def mark_earmark_released(conn: Connection, system_id: str, request_no: str) -> None:
    c = clearing_earmarks.c
    conn.execute(update(clearing_earmarks)
                 .where(c.system_id == system_id, c.request_no == request_no)
                 .values(released=True))

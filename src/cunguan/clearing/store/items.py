"""SQL of packages and their items: written set-based, read by state in arrival order."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from cunguan.clearing.rules.exceptions import STATE_BY_SESSION_STATUS, ItemState
from cunguan.clearing.rules.netting import Flow
from cunguan.clearing.rules.packages import AcceptedPackage, item_id
from cunguan.clearing.rules.parameters import BusinessType
from cunguan.clearing.store.tables import clearing_items, clearing_packages, clearing_sessions
from cunguan.db import bulk


def package_row(conn: Connection, system_id: str, sender_bank: str, message_id: str) -> Any:
    c = clearing_packages.c
    return conn.execute(select(clearing_packages).where(
        c.system_id == system_id, c.sender_bank == sender_bank,
        c.message_id == message_id)).first()


@dataclass(frozen=True, slots=True)
class NettedIn:
    """Where items netted: the working day, the session and the moment."""

    work_date: date
    session_no: int
    at: datetime


def insert_package(conn: Connection, system_id: str, accepted: AcceptedPackage, *,
                   digest: str, is_receipt: bool, now: datetime, state: ItemState,
                   states: Mapping[str, ItemState] | None = None,
                   netted: NettedIn | None = None) -> int:
    """The package and its items, one statement each; its package no. Each item is in
    ``state``, or in its own of ``states`` (by item id) when netting decided it before it was
    written — a netted one with ``netted``'s day, session and moment."""
    pkg = accepted.package
    package_no: int = conn.execute(insert(clearing_packages).values(
        system_id=system_id, sender_bank=pkg.sender_bank, message_id=pkg.message_id,
        business_type=pkg.business_type.value, receiver_bank=pkg.receiver_bank,
        work_date=pkg.work_date, control_count=pkg.control_count,
        control_sum_fen=pkg.control_sum_fen, digest=digest, is_receipt=is_receipt,
        received_at=now).returning(clearing_packages.c.package_no)).scalar_one()
    debit = pkg.business_type.is_debit
    kind = pkg.business_type.value
    not_netted = (None, None, None)
    when_netted = not_netted if netted is None or not states else (
        netted.at, netted.work_date, netted.session_no)
    own = states or {}
    rows: list[dict[str, Any]] = []
    for i, (payer, payee) in zip(pkg.items, _banks(accepted), strict=True):
        ident = item_id(pkg.sender_bank, pkg.message_id, i.item_no)
        its = own.get(ident, state)
        at, day, session_no = when_netted if its is ItemState.NETTED else not_netted
        rows.append({"system_id": system_id, "item_id": ident, "package_no": package_no,
                     "item_no": i.item_no, "business_type": kind,
                     "end_to_end_id": i.end_to_end_id, "debtor_bank": i.debtor_bank,
                     "debtor_account": i.debtor_account, "creditor_bank": i.creditor_bank,
                     "creditor_account": i.creditor_account, "payer_bank": payer,
                     "payee_bank": payee, "sender_bank": payee if debit else payer,
                     "amount_fen": i.amount_fen, "debit_term_days": i.debit_term_days,
                     "state": its.value, "sent_at": now, "netted_at": at, "work_date": day,
                     "session_no": session_no})
    bulk.insert_rows(conn, clearing_items, rows)     # binary COPY on PostgreSQL
    return package_no


def _banks(accepted: AcceptedPackage) -> list[tuple[str, str]]:
    if accepted.flows:
        return [(f.payer_bank, f.payee_bank) for f in accepted.flows]
    pkg = accepted.package    # information: the banks as named
    return [(i.debtor_bank, i.creditor_bank) for i in pkg.items]


def insert_return(conn: Connection, system_id: str, original: Any, return_id: str,
                  now: datetime) -> None:
    """A return: a new ordinary credit flowing back from the payee's bank to the payer's."""
    conn.execute(insert(clearing_items).values(
        system_id=system_id, item_id=return_id, package_no=original.package_no,
        item_no=original.item_no, business_type=BusinessType.ORDINARY_CREDIT.value,
        end_to_end_id=original.end_to_end_id, debtor_bank=original.creditor_bank,
        debtor_account=original.creditor_account, creditor_bank=original.debtor_bank,
        creditor_account=original.debtor_account, payer_bank=original.payee_bank,
        payee_bank=original.payer_bank, sender_bank=original.payee_bank,
        amount_fen=original.amount_fen, debit_term_days=0, state=ItemState.ACCEPTED.value,
        sent_at=now, returns_item_id=original.item_id))


def _state_as_read() -> ColumnElement[str]:
    """An item's state as ``rules.exceptions.effective_state`` reads it, in SQL: a netted
    item of a submitted (settled) session is submitted (settled)."""
    c, s = clearing_items.c, clearing_sessions.c
    return case(*((and_(c.state == ItemState.NETTED.value, s.status == status), state.value)
                  for status, state in STATE_BY_SESSION_STATUS.items()), else_=c.state)


#: Every column of an item, its state as read (joined to its session, if it has one): what
#: every reader of an item's state selects from.
ITEMS_READ: Select[Any] = select(
    *(column for column in clearing_items.c if column.name != "state"),
    _state_as_read().label("state")).select_from(clearing_items.outerjoin(
        clearing_sessions, and_(clearing_sessions.c.system_id == clearing_items.c.system_id,
                                clearing_sessions.c.work_date == clearing_items.c.work_date,
                                clearing_sessions.c.session_no == clearing_items.c.session_no)))


def items_of_package(conn: Connection, package_no: int) -> list[Any]:
    return list(conn.execute(ITEMS_READ.where(
        clearing_items.c.package_no == package_no, clearing_items.c.returns_item_id.is_(None))
        .order_by(clearing_items.c.arrival_seq)).all())


def item(conn: Connection, system_id: str, item_id: str) -> Any:
    c = clearing_items.c
    return conn.execute(ITEMS_READ.where(c.system_id == system_id, c.item_id == item_id)).first()


def items_by_id(conn: Connection, system_id: str, item_ids: Sequence[str]) -> dict[str, Any]:
    """The rows of ``item_ids`` (those that exist) by item id, in one statement."""
    c = clearing_items.c
    rows = conn.execute(ITEMS_READ.where(c.system_id == system_id,
                                         _among(conn, item_ids))).all()
    return {r.item_id: r for r in rows}


def flows(conn: Connection, system_id: str, item_ids: Sequence[str]) -> list[Flow]:
    """The items as netting sees them, in arrival order."""
    c = clearing_items.c
    rows = conn.execute(select(c.item_id, c.business_type, c.payer_bank, c.payee_bank,
                               c.amount_fen)
                        .where(c.system_id == system_id, _among(conn, item_ids))
                        .order_by(c.arrival_seq)).all()
    return [Flow(r.item_id, BusinessType(r.business_type), r.payer_bank, r.payee_bank,
                 r.amount_fen) for r in rows]


def queued(conn: Connection, system_id: str) -> dict[str, list[Flow]]:
    """Every payer bank's queue, head first (arrival order)."""
    c = clearing_items.c
    rows = conn.execute(select(c.item_id, c.business_type, c.payer_bank, c.payee_bank,
                               c.amount_fen)
                        .where(c.system_id == system_id, c.state == ItemState.QUEUED.value)
                        .order_by(c.arrival_seq)).all()
    queues: dict[str, list[Flow]] = {}
    for r in rows:
        queues.setdefault(r.payer_bank, []).append(
            Flow(r.item_id, BusinessType(r.business_type), r.payer_bank, r.payee_bank,
                 r.amount_fen))
    return queues


def _among(conn: Connection, ids: Sequence[str]) -> ColumnElement[bool]:
    """``item_id`` one of ``ids``: on PostgreSQL one array parameter (``= ANY``), not a
    placeholder per id for the server to parse (a package has up to 10,000)."""
    column = clearing_items.c.item_id
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("item_ids", list(ids), type_=ARRAY(String)))
    return column.in_(list(ids))


def set_state(conn: Connection, system_id: str, item_ids: Iterable[str], state: ItemState,
              **values: Any) -> None:
    ids = list(item_ids)
    if not ids:
        return
    c = clearing_items.c
    conn.execute(update(clearing_items).where(c.system_id == system_id, _among(conn, ids))
                 .values(state=state.value, **values))


def set_state_at(conn: Connection, system_id: str, arrival_seqs: Sequence[int],
                 state: ItemState, **values: Any) -> None:
    """``set_state`` for rows named by their arrival no. (the primary key: an index of
    8-byte keys, cheaper to descend per row than the item ids' text index)."""
    if not arrival_seqs:
        return
    c = clearing_items.c
    seqs = list(arrival_seqs)
    if conn.dialect.name != "postgresql":
        conn.execute(update(clearing_items).where(c.system_id == system_id,
                                                  c.arrival_seq.in_(seqs))
                     .values(state=state.value, **values))
        return
    # joined to the unnested keys: a nested loop over the primary key whatever the planner
    # knows (with ``= ANY`` a plan cached while the table was small bitmap-ANDed a scan of
    # every row of the system)
    keys = func.unnest(bindparam("seqs", seqs, type_=ARRAY(BigInteger))).table_valued(
        "seq").render_derived(name="keys")
    conn.execute(update(clearing_items).where(c.arrival_seq == keys.c.seq,
                                              c.system_id == system_id)
                 .values(state=state.value, **values))


def mark_netted(conn: Connection, system_id: str, item_ids: Sequence[str], *,
                work_date: date, session_no: int, now: datetime,
                arrival_seqs: Mapping[str, int] | None = None) -> None:
    """Netted items: by arrival no. those ``arrival_seqs`` knows, the others by id."""
    known = arrival_seqs or {}
    set_state_at(conn, system_id, [known[i] for i in item_ids if i in known],
                 ItemState.NETTED, netted_at=now, work_date=work_date, session_no=session_no)
    set_state(conn, system_id, [i for i in item_ids if i not in known], ItemState.NETTED,
              netted_at=now, work_date=work_date, session_no=session_no)


def refresh_statistics(conn: Connection) -> None:
    """The planner's statistics of the items and what grows with them, refreshed (PostgreSQL;
    elsewhere nothing): after a bulk load, so that statements prepared while the tables were
    small are planned again for what they hold now (``ANALYZE`` invalidates cached plans)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE clearing_items, clearing_packages, clearing_events"))


def session_positions(conn: Connection, system_id: str, work_date: date,
                      session_no: int) -> tuple[dict[str, int], int]:
    """The positions of the items netted in one session, summed in the database, and their
    count."""
    c = clearing_items.c
    # every item netted in the session, whatever became of it since (credited, returned: a
    # return is a flow of its own)
    netted = (c.system_id == system_id, c.work_date == work_date, c.session_no == session_no,
              c.netted_at.is_not(None))
    # one pass over the session's rows: sums per (payer, payee) pair, then per bank here
    positions: dict[str, int] = {}
    count = 0
    for payer, payee, total, pair_count in conn.execute(
            select(c.payer_bank, c.payee_bank, func.sum(c.amount_fen), func.count())
            .where(*netted).group_by(c.payer_bank, c.payee_bank)).tuples():
        positions[payer] = positions.get(payer, 0) - int(total)
        positions[payee] = positions.get(payee, 0) + int(total)
        count += int(pair_count)
    return positions, count


def open_sessions_with_items(conn: Connection, system_id: str) -> list[tuple[date, int]]:
    """(work day, session) pairs with netted items and not yet submitted, oldest first."""
    c = clearing_items.c
    s = clearing_sessions.c
    submitted = select(s.session_no).where(
        s.system_id == system_id, s.work_date == c.work_date, s.session_no == c.session_no)
    rows = conn.execute(select(c.work_date, c.session_no).where(
        c.system_id == system_id, c.netted_at.is_not(None), ~submitted.exists())
        .group_by(c.work_date, c.session_no).order_by(c.work_date, c.session_no)).tuples()
    return [(d, s) for d, s in rows]


def bank_totals(conn: Connection, system_id: str, work_date: date
                ) -> dict[str, dict[str, int]]:
    """Per direct participant, the money items netted on a working day: sent (as payer's
    bank) and received (as payee's bank), counts and sums — the NPC's figures."""
    c = clearing_items.c
    netted = (c.system_id == system_id, c.work_date == work_date, c.netted_at.is_not(None))
    totals: dict[str, dict[str, int]] = {}
    for side, column in (("sent", c.payer_bank), ("received", c.payee_bank)):
        for bank, count, total in conn.execute(
                select(column, func.count(), func.sum(c.amount_fen)).where(*netted)
                .group_by(column)).tuples():
            row = totals.setdefault(bank, {"sent_count": 0, "sent_fen": 0,
                                           "received_count": 0, "received_fen": 0})
            row[f"{side}_count"], row[f"{side}_fen"] = int(count), int(total)
    return totals

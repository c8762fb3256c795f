"""SQL of a participant bank's own side of BEPS: its outward and inward transfers, and the
clearing items it has still to take in."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cunguan.clearing.rules.exceptions import ItemState
from cunguan.clearing.store.items import ITEMS_READ
from cunguan.clearing.store.tables import clearing_bank_transfers, clearing_items

#: An inward item is taken once it netted (final, R-S4) and until its money reached the payee.
_ARRIVED = (ItemState.NETTED.value, ItemState.SUBMITTED.value, ItemState.SETTLED.value)


def transfer(conn: Connection, system_id: str, bank_code: str, direction: str,
             serial_no: str) -> Any:
    c = clearing_bank_transfers.c
    return conn.execute(select(clearing_bank_transfers).where(
        c.system_id == system_id, c.bank_code == bank_code, c.direction == direction,
        c.serial_no == serial_no)).first()


def insert_transfer(conn: Connection, **row: Any) -> None:
    conn.execute(insert(clearing_bank_transfers).values(**row))


def in_states(conn: Connection, system_id: str, bank_code: str, direction: str,
              states: Sequence[str], limit: int) -> list[Any]:
    """A bank's transfers in ``states``, oldest first."""
    c = clearing_bank_transfers.c
    return list(conn.execute(select(clearing_bank_transfers).where(
        c.system_id == system_id, c.bank_code == bank_code, c.direction == direction,
        c.state.in_(list(states))).order_by(c.transfer_no).limit(limit)).all())


def set_transfer(conn: Connection, transfer_no: int, now: datetime, **values: Any) -> None:
    c = clearing_bank_transfers.c
    conn.execute(update(clearing_bank_transfers).where(c.transfer_no == transfer_no)
                 .values(updated_at=now, **values))


def item_states(conn: Connection, system_id: str, item_ids: Iterable[str]) -> dict[str, str]:
    ids = list(item_ids)
    if not ids:
        return {}
    c = clearing_items.c
    return {r.item_id: r.state for r in conn.execute(ITEMS_READ.where(
        c.system_id == system_id, c.item_id.in_(ids)))}


def arrived(conn: Connection, system_id: str, bank_code: str, limit: int) -> list[Any]:
    """Netted items whose payee's bank is ``bank_code`` that it has not taken in yet, in
    arrival order."""
    c = clearing_items.c
    t = clearing_bank_transfers.c
    taken = select(t.serial_no).where(t.system_id == system_id, t.bank_code == bank_code,
                                      t.direction == "inward", t.serial_no == c.item_id)
    return list(conn.execute(ITEMS_READ.where(
        c.system_id == system_id, c.creditor_bank == bank_code, c.amount_fen > 0,
        c.state.in_(_ARRIVED), ~taken.exists()).order_by(c.arrival_seq).limit(limit)).all())

"""Users' debit cards: bound, unbound, and who a bound card belongs to (R-C5)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from cunguan.custody.store.tables import custody_cards
from cunguan.db.bulk import insert_rows

_BOUND_CARD = select(custody_cards).where(
    custody_cards.c.tenant_id == bindparam("tenant_id"),
    custody_cards.c.card_no == bindparam("card_no"),
    custody_cards.c.user_id == bindparam("user_id"), custody_cards.c.status == "bound")


def bound_card(conn: Connection, tenant_id: str, user_id: str, card_no: str) -> Any:
    """The user's bound card of this number, or None."""
    return conn.execute(_BOUND_CARD, {"tenant_id": tenant_id, "card_no": card_no,
                                      "user_id": user_id}).first()


def holder(conn: Connection, tenant_id: str, card_no: str) -> Any:
    """(user, status) of the card's row on the platform, bound or not, or None."""
    c = custody_cards.c
    return conn.execute(select(c.user_id, c.status).where(
        c.tenant_id == tenant_id, c.card_no == card_no)).first()


def holders(conn: Connection, tenant_id: str, card_nos: list[str]) -> dict[str, Any]:
    """(user, status) of each card's row on the platform, bound or not, by card no."""
    c = custody_cards.c
    if not card_nos:
        return {}
    return {row.card_no: (row.user_id, row.status) for row in conn.execute(
        select(c.card_no, c.user_id, c.status).where(c.tenant_id == tenant_id,
                                                     c.card_no.in_(sorted(card_nos))))}


def insert_card(conn: Connection, tenant_id: str, card_no: str, values: dict[str, Any]) -> None:
    conn.execute(insert(custody_cards).values(tenant_id=tenant_id, card_no=card_no, **values))


def insert_cards(conn: Connection, tenant_id: str,
                 cards: list[tuple[str, dict[str, Any]]]) -> None:
    """New cards' rows: (card no., values) each."""
    if cards:
        insert_rows(conn, custody_cards, [{"tenant_id": tenant_id, "card_no": card_no, **values}
                                          for card_no, values in cards])


def update_card(conn: Connection, tenant_id: str, card_no: str, values: dict[str, Any]) -> None:
    c = custody_cards.c
    conn.execute(update(custody_cards).where(
        c.tenant_id == tenant_id, c.card_no == card_no).values(**values))


def has_bound_card(conn: Connection, tenant_id: str, user_id: str) -> bool:
    c = custody_cards.c
    return conn.execute(select(c.card_no).where(
        c.tenant_id == tenant_id, c.user_id == user_id,
        c.status == "bound")).first() is not None


def unbind(conn: Connection, tenant_id: str, user_id: str, card_no: str,
           at: datetime) -> bool:
    """Unbind the user's bound card; False when the user has no such bound card."""
    c = custody_cards.c
    done = conn.execute(update(custody_cards).where(
        c.tenant_id == tenant_id, c.card_no == card_no, c.user_id == user_id,
        c.status == "bound").values(status="unbound", unbound_at=at))
    return done.rowcount == 1


def bound_owner(conn: Connection, tenant_id: str, card_no: str) -> str | None:
    """The user whose bound card this is, or None."""
    c = custody_cards.c
    owner = conn.execute(select(c.user_id).where(
        c.tenant_id == tenant_id, c.card_no == card_no,
        c.status == "bound")).scalar_one_or_none()
    return None if owner is None else str(owner)

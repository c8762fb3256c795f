"""Identity fields stored as the domain compares them (R-C4), one mobile no. per person.

Before 0018 a card no. typed with spaces was checked without them but stored as typed (the
same card could then be bound to a second account), and a mobile with a trailing newline or
full-width digits was accepted and stored so. The upgrade rewrites stored card nos. (cards and
withdrawals), mobiles and ID nos. in their normalized form — white space and separators
removed, digits as ASCII, ID letters upper-case — and adds the unique index on
(tenant_id, mobile).

It refuses to upgrade, changing nothing, when the normalized data would break a rule: two
accounts of one platform sharing a mobile, a person (ID kind and no.), or a card. The error
lists each conflict; an operator resolves them (a duplicate account closed or merged, a mobile
corrected) and runs the upgrade again.

Revision ID: 0018
Revises: 0017
"""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_SEPARATORS = str.maketrans("", "", " \t\r\n-\u3000")
#: How many conflicts the refusal lists before it says how many more there are.
_CONFLICTS_SHOWN = 50

_users = sa.table("custody_users", sa.column("tenant_id"), sa.column("user_id"),
                  sa.column("id_kind"), sa.column("id_no"), sa.column("mobile"))
_cards = sa.table("custody_cards", sa.column("tenant_id"), sa.column("card_no"),
                  sa.column("user_id"), sa.column("status"))
_withdrawals = sa.table("custody_withdrawals", sa.column("tenant_id"),
                        sa.column("user_id"), sa.column("card_no"))


class IdentityConflicts(RuntimeError):
    """Normalizing the stored identity fields would make two accounts share what is one
    person's (or one card's)."""


def digits(value: str) -> str:
    """A stored number as the domain now keeps it: separators out, any decimal digit as its
    ASCII digit (what was stored as "１３８…" was that number)."""
    cleaned = "".join(value.split()).translate(_SEPARATORS)
    return "".join(str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None
                   else ch for ch in cleaned)


def id_no(value: str) -> str:
    return digits(value).upper()


def _shared(what: str, groups: dict[tuple[str, ...], list[str]]) -> Iterable[str]:
    for key, owners in sorted(groups.items()):
        if len(set(owners)) > 1:
            yield (f"platform {key[0]}: {what} {'/'.join(key[1:])} would belong to users "
                   f"{', '.join(sorted(set(owners)))}")


def upgrade() -> None:
    conn = op.get_bind()
    users = conn.execute(sa.select(_users)).all()
    cards = conn.execute(sa.select(_cards)).all()
    mobiles: dict[tuple[str, ...], list[str]] = defaultdict(list)
    people: dict[tuple[str, ...], list[str]] = defaultdict(list)
    holders: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for u in users:
        mobiles[(u.tenant_id, digits(u.mobile))].append(u.user_id)
        people[(u.tenant_id, u.id_kind, id_no(u.id_no))].append(u.user_id)
    for c in cards:
        holders[(c.tenant_id, digits(c.card_no))].append(c.user_id)
    conflicts = [*_shared("mobile", mobiles), *_shared("person", people),
                 *_shared("card", holders)]
    if conflicts:
        more = len(conflicts) - _CONFLICTS_SHOWN
        raise IdentityConflicts(
            "migration 0018 refused: normalized identity fields would be shared by accounts "
            "(R-C4: one person, one mobile, one card, one account per platform). Resolve "
            "these and upgrade again:\n  " + "\n  ".join(conflicts[:_CONFLICTS_SHOWN])
            + (f"\n  … and {more} more" if more > 0 else ""))
    _normalize_users(conn, users)
    _normalize_cards(conn, cards)
    op.create_index("ux_custody_users_mobile", "custody_users", ["tenant_id", "mobile"],
                    unique=True)


def _normalize_users(conn: sa.Connection, users: Sequence[sa.Row[Any]]) -> None:
    for u in users:
        mobile, number = digits(u.mobile), id_no(u.id_no)
        if (mobile, number) != (u.mobile, u.id_no):
            conn.execute(sa.update(_users).where(
                _users.c.tenant_id == u.tenant_id, _users.c.user_id == u.user_id,
            ).values(mobile=mobile, id_no=number))


def _normalize_cards(conn: sa.Connection, cards: Sequence[sa.Row[Any]]) -> None:
    """One row per card: a card stored twice for one user (once as typed) keeps its bound
    row, or else the first; the user's withdrawals name the card as it is now kept."""
    forms: dict[tuple[str, str], list[sa.Row[Any]]] = defaultdict(list)
    for c in sorted(cards, key=lambda c: (c.status != "bound", c.card_no)):
        forms[(c.tenant_id, digits(c.card_no))].append(c)
    for (tenant_id, number), rows in forms.items():
        if [c.card_no for c in rows] == [number]:
            continue
        typed = [c.card_no for c in rows]
        conn.execute(sa.delete(_cards).where(_cards.c.tenant_id == tenant_id,
                                             _cards.c.card_no.in_(typed[1:])))
        conn.execute(sa.update(_cards).where(
            _cards.c.tenant_id == tenant_id, _cards.c.card_no == typed[0],
        ).values(card_no=number))
        conn.execute(sa.update(_withdrawals).where(
            _withdrawals.c.tenant_id == tenant_id, _withdrawals.c.user_id == rows[0].user_id,
            _withdrawals.c.card_no.in_(typed),
        ).values(card_no=number))


def downgrade() -> None:
    # The normalized values stay: they are what the older code would have stored had it
    # normalized, and every one of them is still valid to it.
    op.drop_index("ux_custody_users_mobile", table_name="custody_users")

"""An exchange-originated project's records (R-C8): read for every project read (the service
API and ``GET /v1/projects/{id}``), checked and written by ``handlers/exchange_projects.py``."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from cunguan.custody.store.tables import custody_cards, custody_project_origins
from cunguan.db.connection import read_connection


def exchange_origin(engine: Engine, tenant_id: str, project_id: str) -> dict[str, Any] | None:
    """A project's exchange records as a JSON-ready view (None: not exchange-originated);
    the payee account is masked like every account no. the API shows."""
    o = custody_project_origins.c
    with read_connection(engine) as conn:
        row = conn.execute(select(custody_project_origins).where(
            o.tenant_id == tenant_id, o.project_id == project_id)).first()
    if row is None:
        return None
    view = {k: v.isoformat() if hasattr(v, "isoformat") else v
            for k, v in row._mapping.items() if k not in ("tenant_id", "project_id")}
    payee = str(view.pop("payee_account_no"))
    view["payee_account_masked"] = payee[:3] + "*" * (len(payee) - 7) + payee[-4:]
    return view


def bound_card_nos(conn: Connection, tenant_id: str, user_id: str) -> set[str]:
    """The card nos. bound to the user (a disbursement's payee must be one of them)."""
    c = custody_cards.c
    return set(conn.execute(select(c.card_no).where(
        c.tenant_id == tenant_id, c.user_id == user_id, c.status == "bound")).scalars())


def backing_project(conn: Connection, tenant_id: str, column: str, value: str) -> str | None:
    """The project whose records' ``column`` (the contract or disbursement no.) is ``value``."""
    o = custody_project_origins.c
    return conn.execute(select(o.project_id).where(
        o.tenant_id == tenant_id, o[column] == value)).scalars().first()


def insert_origin(conn: Connection, row: dict[str, Any], *, taken: Callable[[], None]) -> None:
    """Insert a project's records. When a unique key refuses them (a registration took the
    contract or the disbursement while this one ran, migration 0019) ``taken`` is called, to
    answer as if that one had come first, before the error goes on."""
    try:
        with conn.begin_nested():
            conn.execute(insert(custody_project_origins).values(row))
    except IntegrityError:
        taken()
        raise

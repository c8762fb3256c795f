"""Batch windows' rows (R-C11): a batch of lending or repayment instructions and its items,
queued for a window, run item by item, each item's answer recorded."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cunguan.custody.store.tables import custody_batch_items, custody_batches
from cunguan.db.bulk import update_rows

_ITEM_KEY = ("tenant_id", "batch_no", "item_no")


def queue(conn: Connection, tenant_id: str, batch_no: str, kind: str, window_at: datetime,
          created_at: datetime, project_ids: Sequence[str]) -> None:
    """A batch queued for its window, its items numbered from 1 in the order given."""
    conn.execute(insert(custody_batches).values(
        tenant_id=tenant_id, batch_no=batch_no, kind=kind, window_at=window_at,
        status="queued", created_at=created_at))
    conn.execute(insert(custody_batch_items), [{
        "tenant_id": tenant_id, "batch_no": batch_no, "item_no": n,
        "project_id": project, "attempt": 1, "status": "queued", "code": "",
        "message": ""} for n, project in enumerate(project_ids, start=1)])


def due(conn: Connection, now: datetime) -> list[Any]:
    """Every tenant's queued batches whose window has come, as (tenant, batch no., kind),
    earliest window first."""
    b = custody_batches.c
    return list(conn.execute(select(b.tenant_id, b.batch_no, b.kind).where(
        b.status == "queued", b.window_at <= now).order_by(b.window_at)).all())


def queued_items(conn: Connection, tenant_id: str, batch_no: str) -> list[Any]:
    """The batch's queued items as (item no., project id, attempt), in item order."""
    i = custody_batch_items.c
    return list(conn.execute(select(i.item_no, i.project_id, i.attempt).where(
        i.tenant_id == tenant_id, i.batch_no == batch_no, i.status == "queued",
    ).order_by(i.item_no)).all())


def set_items(conn: Connection, tenant_id: str, batch_no: str,
              items: Sequence[dict[str, Any]]) -> None:
    """New values for many of the batch's items, each named by its ``item_no``."""
    update_rows(conn, custody_batch_items, _ITEM_KEY,
                [{"tenant_id": tenant_id, "batch_no": batch_no, **item} for item in items])


def close(conn: Connection, tenant_id: str, batch_no: str) -> None:
    """The batch done, or failed when any of its items failed."""
    b, i = custody_batches.c, custody_batch_items.c
    failed = conn.execute(select(i.item_no).where(
        i.tenant_id == tenant_id, i.batch_no == batch_no, i.status == "failed")).first()
    conn.execute(update(custody_batches).where(
        b.tenant_id == tenant_id, b.batch_no == batch_no,
    ).values(status="failed" if failed else "done"))


def status(conn: Connection, tenant_id: str, batch_no: str) -> str | None:
    b = custody_batches.c
    row = conn.execute(select(b.status).where(
        b.tenant_id == tenant_id, b.batch_no == batch_no)).first()
    return None if row is None else str(row[0])


def requeue_failed(conn: Connection, tenant_id: str, batch_no: str,
                   window_at: datetime) -> int:
    """The batch's failed items queued again (a new attempt each) and the batch with them for
    ``window_at``; returns how many items."""
    b, i = custody_batches.c, custody_batch_items.c
    items = conn.execute(update(custody_batch_items).where(
        i.tenant_id == tenant_id, i.batch_no == batch_no, i.status == "failed",
    ).values(status="queued", attempt=i.attempt + 1, code="", message=""))
    conn.execute(update(custody_batches).where(
        b.tenant_id == tenant_id, b.batch_no == batch_no,
    ).values(status="queued", window_at=window_at))
    return int(items.rowcount)


def head(conn: Connection, tenant_id: str, batch_no: str) -> Any:
    """The batch's (kind, status, window), or None."""
    b = custody_batches.c
    return conn.execute(select(b.kind, b.status, b.window_at).where(
        b.tenant_id == tenant_id, b.batch_no == batch_no)).first()


def items(conn: Connection, tenant_id: str, batch_no: str) -> list[Any]:
    """Every item of the batch as (item no., project id, attempt, status, code)."""
    i = custody_batch_items.c
    return list(conn.execute(select(i.item_no, i.project_id, i.attempt, i.status, i.code)
                             .where(i.tenant_id == tenant_id, i.batch_no == batch_no)
                             .order_by(i.item_no)).all())

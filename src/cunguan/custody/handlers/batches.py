"""Batch windows (R-C11): batch lending and repayment instructions run in windows, item by item.

Exactly once, even when the worker is killed mid-batch: each item runs as a custody command whose
request no. is derived from the batch (``<batch>#<item>@<attempt>``). The command and its
ledger postings commit together; if the worker dies after that commit but before it records the
item, the next run sends the same request no., gets the recorded answer back (a replay) and
records it. Nothing is ever applied twice. Items run ``ITEMS_PER_TRANSACTION`` at a time through
the set-based form of their command (one DB transaction, each item its own command and answer).
"""

from datetime import datetime, timedelta
from typing import Any

from cunguan.core import fields, limits
from cunguan.core.clock import CST
from cunguan.custody.handlers.base import CustodyResult, Data, checked
from cunguan.custody.handlers.lending_service import LendingService, ProjectStep
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.rules.windows import WindowPolicy, next_window
from cunguan.custody.store import batches as store
from cunguan.db.connection import Connection, read_connection

BATCH_KINDS = frozenset({"lend", "repay"})
#: Items run together, set-based, in one DB transaction (each still its own command).
ITEMS_PER_TRANSACTION = 50


class BatchService:
    def __init__(self, custody: LendingService, policy: WindowPolicy | None = None) -> None:
        self.custody = custody
        self.engine = custody.engine
        self.policy = policy or WindowPolicy()

    @checked(kind=custody_fields.word(BATCH_KINDS))
    def submit(self, tenant_id: str, batch_no: str, kind: str,
               project_ids: list[str]) -> CustodyResult:
        """Queue a batch for the next window; returns the window it will run in."""
        if len(project_ids) > limits.items_per_platform_batch_max:
            return CustodyResult(batch_no, False, Refusal.FIELD_INVALID,
                                 f"at most {limits.items_per_platform_batch_max} items a batch")

        def work(conn: Connection) -> Data:
            now = self.custody.clock()
            window = next_window(now, self.policy)
            store.queue(conn, tenant_id, batch_no, kind, window, now, project_ids)
            return {"batch_no": batch_no, "window_at": window.astimezone(CST).isoformat(),
                    "items": len(project_ids)}
        return self.custody.command(tenant_id, batch_no, "submit_batch",
                                    {"kind": kind, "projects": project_ids}, work)

    def run_due(self, now: datetime) -> int:
        """Process every item of every batch whose window has come; returns items processed."""
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise fields.FieldInvalid("now", "must be a datetime with a time zone")
        fields.day(now.date(), "now")
        with read_connection(self.engine) as conn:
            due = store.due(conn, now)
        done = 0
        for tenant_id, batch_no, kind in due:
            done += self._run_batch(tenant_id, batch_no, kind)
        return done

    def _run_batch(self, tenant_id: str, batch_no: str, kind: str) -> int:
        with read_connection(self.engine) as conn:
            items = store.queued_items(conn, tenant_id, batch_no)
        step = "lend" if kind == "lend" else "settle_repayment"
        for start in range(0, len(items), ITEMS_PER_TRANSACTION):
            chunk = items[start:start + ITEMS_PER_TRANSACTION]
            results = self.custody.batch_steps(
                tenant_id, [ProjectStep(f"{batch_no}#{item_no}@{attempt}", project)
                            for item_no, project, attempt in chunk], step)
            with self.engine.begin() as conn:
                store.set_items(conn, tenant_id, batch_no, [
                    {"item_no": item_no, "status": "done" if result.ok else "failed",
                     "code": result.code, "message": result.message[:256]}
                    for (item_no, _, _), result in zip(chunk, results, strict=True)])
        with self.engine.begin() as conn:
            store.close(conn, tenant_id, batch_no)
        return len(items)

    @checked()
    def retrigger(self, tenant_id: str, request_no: str, batch_no: str) -> CustodyResult:
        """An operator re-runs a batch's failed items at the next worker run (new attempt)."""
        def work(conn: Connection) -> Data:
            status = store.status(conn, tenant_id, batch_no)
            if status is None:
                raise CustodyError(Refusal.BATCH_NOT_FOUND, f"no batch {batch_no}")
            if status != "failed":
                raise CustodyError(Refusal.BATCH_NOT_FAILED, f"the batch is {status}")
            requeued = store.requeue_failed(conn, tenant_id, batch_no,
                                            self.custody.clock() - timedelta(seconds=1))
            return {"batch_no": batch_no, "requeued_items": requeued}
        return self.custody.command(tenant_id, request_no, "retrigger_batch",
                                    {"batch": batch_no}, work)

    def batch(self, tenant_id: str, batch_no: str) -> dict[str, Any]:
        with read_connection(self.engine) as conn:
            head = store.head(conn, tenant_id, batch_no)
            if head is None:
                raise CustodyError(Refusal.BATCH_NOT_FOUND, f"no batch {batch_no}")
            items = store.items(conn, tenant_id, batch_no)
        return {"kind": head[0], "status": head[1], "window_at": head[2].isoformat(),
                "items": [dict(zip(("item_no", "project_id", "attempt", "status", "code"),
                                   item, strict=True)) for item in items]}

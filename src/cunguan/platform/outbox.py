"""The callback outbox (R-C21): events written with each result, sequenced, pulled, delivered.

Every custody request's result is written as an event in the same DB transaction as the result
itself (``CustodyBase._record``). This service then:

- gives events their pull cursor (``seq``) in one place, under a lock, in the order their
  transactions became visible — ids from a sequence are not commit order, and a cursor that
  skipped a slow transaction's event would lose it for good;
- delivers each event to the platform's callback URL, signed, at least once, retrying with
  back-off and jitter for up to 72 h, then dead-letters it for operators;
- answers pulls of the events after a cursor. Platforms deduplicate by ``event_id``.
"""

import json
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cunguan.core import limits
from cunguan.core.clock import Clock, system_clock
from cunguan.custody.rules.callbacks import next_attempt
from cunguan.db.connection import Connection, Engine, read_connection
from cunguan.db.unit_of_work import in_transaction
from cunguan.platform.store import outbox as outbox_store
from cunguan.platform.store.platforms import callback_urls

#: Delivers one callback: (url, body, headers) → None when the platform accepted it, else why not.
Sender = Callable[[str, bytes, dict[str, str]], str | None]
#: What signs a platform's callback bodies (body → headers), or None when it has no key.
Signer = Callable[[str], Callable[[bytes], dict[str, str]] | None]
_SEQUENCER = "events"
#: Why an event was not posted at all.
_NO_TARGET = "the platform has no callback URL or key"


@dataclass(frozen=True, slots=True)
class Event:
    event_id: int
    seq: int | None
    tenant_id: str
    operation: str
    request_no: str
    status: str
    result: dict[str, Any]
    created_at: datetime

    def body(self) -> dict[str, Any]:
        """The event as platforms receive it, by callback and by pull alike."""
        return {"event_id": self.event_id, "seq": self.seq, "operation": self.operation,
                "request_no": self.request_no, "status": self.status,
                "result": self.result, "created_at": self.created_at.isoformat()}


def _event(row: Any) -> Event:
    return Event(row.event_id, row.seq, row.tenant_id, row.operation, row.request_no,
                 row.status, json.loads(row.payload), row.created_at)


class OutboxService:
    def __init__(self, engine: Engine, *, clock: Clock = system_clock,
                 rng: random.Random | None = None,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
        self.rng = rng or random.Random()
        #: Seconds, for how long a delivery pass runs (tests give one that stands still).
        self.timer = timer

    # -- the pull cursor -------------------------------------------------------------------
    def sequence(self) -> int:
        """Give every visible, unsequenced event the next cursor values; returns how many."""
        def unit(conn: Connection) -> int:
            return outbox_store.sequence_page(conn, _SEQUENCER, limits.events_per_page_max)
        return in_transaction(self.engine, unit)

    def _sequence_all(self) -> None:
        """``sequence`` until every visible event has its cursor value (a page at a time)."""
        while self.sequence() == limits.events_per_page_max:
            pass

    def events_since(self, tenant_id: str, after_seq: int,
                     rows_max: int = limits.events_per_page_max) -> list[Event]:
        """The tenant's events after the cursor, oldest first."""
        self._sequence_all()
        with read_connection(self.engine) as conn:
            rows = outbox_store.events_after(conn, tenant_id, after_seq,
                                             min(rows_max, limits.events_per_page_max))
        return [_event(row) for row in rows]

    # -- delivery --------------------------------------------------------------------------
    def deliver_due(self, send: Sender, sign: Signer) -> int:
        """Deliver what is due, a page at a time, until nothing is due or
        ``limits.callback_pass_ms_max`` has passed: each page's events are claimed, posted
        ``limits.callback_sends_in_flight_max`` at a time (``send`` must be thread-safe) and
        their outcomes recorded in one transaction. The number of events tried."""
        deadline = self.timer() + limits.callback_pass_ms_max / 1000
        tried = 0
        while True:
            self._sequence_all()   # every body carries its seq
            claimed = self._claim_due()
            if claimed:
                self._settle(claimed, self._post_all(claimed, send, sign))
            tried += len(claimed)
            if len(claimed) < limits.events_per_page_max or self.timer() >= deadline:
                return tried

    @staticmethod
    def _post_all(claimed: list[tuple[Event, str | None, int]], send: Sender, sign: Signer
                  ) -> list[str | None]:
        """Each claimed event posted, signed: None when the platform accepted it, else why
        not (``_NO_TARGET`` when it has no callback URL or key)."""
        signers = {tenant: sign(tenant) for tenant in {event.tenant_id for event, _, _ in claimed}}
        posts: list[tuple[str, bytes, dict[str, str]] | None] = []
        for event, url, _ in claimed:
            signer = signers[event.tenant_id]
            if url is None or signer is None:
                posts.append(None)
                continue
            body = json.dumps(event.body(), ensure_ascii=False, sort_keys=True).encode()
            posts.append((url, body, signer(body)))

        def post(one: tuple[str, bytes, dict[str, str]] | None) -> str | None:
            return _NO_TARGET if one is None else send(*one)
        with ThreadPoolExecutor(limits.callback_sends_in_flight_max,
                                thread_name_prefix="callback") as pool:
            return list(pool.map(post, posts))

    def _claim_due(self) -> list[tuple[Event, str | None, int]]:
        """Due events with their callback URL and attempts so far, leased to this worker so a
        second worker skips them."""
        now = self.clock()

        def unit(conn: Connection) -> list[tuple[Event, str | None, int]]:
            lease = now + timedelta(seconds=limits.callback_lease_s)
            rows = outbox_store.claim_due(conn, now, lease, limits.events_per_page_max)
            if not rows:
                return []
            urls = callback_urls(conn, {row.tenant_id for row in rows})
            return [(_event(row), urls.get(row.tenant_id), row.attempts) for row in rows]
        return in_transaction(self.engine, unit)

    def _settle(self, claimed: list[tuple[Event, str | None, int]],
                errors: list[str | None]) -> None:
        """Record each post's outcome, in one transaction: delivered; pending again at its
        next attempt; dead after the give-up period; or ``none`` (no URL or key)."""
        now = self.clock()
        rows = [self._outcome(event, attempts, error, now)
                for (event, _, attempts), error in zip(claimed, errors, strict=True)]
        with self.engine.begin() as conn:
            outbox_store.record_outcomes(conn, rows)

    def _outcome(self, event: Event, attempts_before: int, error: str | None,
                 now: datetime) -> dict[str, Any]:
        row = {"event_id": event.event_id, "delivery": "delivered", "last_error": "",
               "attempts": attempts_before + 1, "delivered_at": now, "next_attempt_at": now}
        if error is None:
            return row
        if error == _NO_TARGET:   # nothing was tried
            return {**row, "delivery": "none", "last_error": error,
                    "attempts": attempts_before, "delivered_at": None}
        due = next_attempt(event.created_at, now, attempts_before + 1, self.rng)
        return {**row, "delivery": "dead" if due is None else "pending",
                "last_error": error[:256], "delivered_at": None, "next_attempt_at": due or now}

    # -- operators -------------------------------------------------------------------------
    def dead_letters(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        with read_connection(self.engine) as conn:
            rows = outbox_store.dead_events(conn, tenant_id, limits.events_per_page_max)
        return [{**_event(row).body(), "tenant_id": row.tenant_id, "attempts": row.attempts,
                 "last_error": row.last_error} for row in rows]

    def redeliver(self, event_id: int) -> bool:
        """An operator sends a dead-lettered event again: one more attempt, now."""
        with self.engine.begin() as conn:
            changed = outbox_store.redeliver(conn, event_id, self.clock())
        return bool(changed)

    def delivery_status(self, event_id: int) -> dict[str, Any] | None:
        with read_connection(self.engine) as conn:
            return outbox_store.delivery_status(conn, event_id)

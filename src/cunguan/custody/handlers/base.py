"""What every custody handler shares: the request log, users, password and authorization checks.

A custody command is one DB transaction: its ledger postings, its custody rows and its request
record commit together or not at all. A request no. is single-use per platform: a replay with the
same content returns the recorded result (success or rejection); other content is refused.

A request's form and digest are ``handlers/requests.py``'s, a set-based call's steps
``handlers/steps.py``'s; both are re-exported here, where the handlers have always found them.
"""

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import Clock
from cunguan.core.errors import CunguanError, present
from cunguan.custody.handlers.requests import (
    CustodyResult,
    Data,
    Gate,
    Refused,
    Unit,
    _canonical,
    _digest,
    _refusal,
    _refused,
    _request_no_ok,
    _to_run,
    checked,
    checked_each,
    differing_fields,
    set_based,
)
from cunguan.custody.handlers.steps import (
    Planned,
    attempt,
    by_rounds,
    by_runs,
    need_active,
    only,
)
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules import passwords
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import credentials
from cunguan.custody.store import requests as request_log
from cunguan.custody.store import rows as keyed
from cunguan.custody.store.rows import Table
from cunguan.custody.store.tables import custody_users
from cunguan.db.connection import Connection, Engine, read_connection
from cunguan.db.unit_of_work import in_transaction
from cunguan.ledger.model import Command, Result
from cunguan.ledger.service import LedgerService
from cunguan.ledger.store.queries import tenant_date

#: Names the handlers, edges and tests import from here (defined in ``requests``, ``steps``).
__all__ = ["CustodyBase", "CustodyResult", "Data", "Gate", "Planned", "Refused", "Unit",
           "_canonical", "_digest", "attempt", "by_rounds", "by_runs", "checked", "checked_each",
           "differing_fields", "need_active", "only", "set_based"]


class Record(Protocol):
    """A request of a set-based call: its serial no. and the content recorded with it."""

    @property
    def request_no(self) -> str: ...
    def content(self) -> Data: ...


R = TypeVar("R", bound=Record)
#: What a set-based call does with its new requests: each one's data or refusal, in order.
RecordsWork = Callable[[Connection, str, list[R]], list["Data | CunguanError"]]


def _consent_refused(kind: str) -> CustodyError:
    return CustodyError(Refusal.AUTHORIZATION_REQUIRED,
                        f"{kind} needs the transaction password or an authorization")


class CustodyBase:
    #: How long five wrong passwords in a row lock the password (configurable per service).
    password_lock: timedelta = passwords.LOCK_DEFAULT

    def __init__(self, engine: Engine, ledger: LedgerService, *, clock: Clock,
                 calendar: WorkingCalendar) -> None:
        self.engine = engine
        self.ledger = ledger
        self.clock = clock
        self.calendar = calendar
        self.runner: Callable[[Unit, Refused], CustodyResult] = self.run_alone

    # -- the request log -------------------------------------------------------------------
    def command(self, tenant_id: str, request_no: str, operation: str, content: Data,
                work: Callable[[Connection], Data]) -> CustodyResult:
        """Run ``work`` once per request no.: atomically, recorded, replayable."""
        if not _request_no_ok(request_no):
            return CustodyResult(request_no, False, Refusal.FIELD_INVALID, "bad request no.")
        digest = _digest(operation, content)

        def unit(conn: Connection) -> CustodyResult:
            prior = self._prior(conn, tenant_id, request_no, digest, operation, content)
            if prior is not None:
                return prior
            data = work(conn)
            self._record(conn, tenant_id, operation, [(request_no, content, "ok", data)])
            return CustodyResult(request_no, True, "ok", data=data)

        return self.runner(unit, self._refused(tenant_id, operation, request_no, content))

    def _refused(self, tenant_id: str, operation: str, request_no: str,
                 content: Data) -> Refused:
        """How a request refused by a raised error is answered: recorded (in a transaction
        of its own, or in its group's after its savepoint was undone) unless a concurrent
        twin got there first, whose answer then stands."""
        def refused(conn: Connection, exc: CunguanError) -> CustodyResult:
            prior = self._prior(conn, tenant_id, request_no, _digest(operation, content),
                                operation, content)
            if prior is not None:
                return prior
            self._record(conn, tenant_id, operation,
                         [(request_no, content, "rejected", _refusal(exc))])
            return _refused(request_no, exc)
        return refused

    def commands_many(self, tenant_id: str, operation: str,
                      items: Sequence[tuple[str, Data]],
                      work: Callable[[Connection, list[int]], list["Data | CunguanError"]],
                      gate: Gate | None = None,
                      invalid: Sequence[CunguanError | None] | None = None
                      ) -> list[CustodyResult]:
        """Requests of one operation in one DB transaction, set-based: the request log
        read and written in one statement each, ``work`` given the indexes of the new ones and
        answering each with its data or its refusal. Each request keeps the meaning it has
        through ``command``: its own serial no., replay, refusal, event.

        ``gate``, when given, runs first in the same transaction and may turn requests away
        (a signed request whose nonce was seen before): such a request is answered with its
        refusal and neither run nor recorded, so its serial no. stays free; so is a request
        whose fields are malformed (``invalid``, from ``checked_each``)."""
        if not 0 < len(items) <= limits.requests_per_call_max:
            raise CustodyError(Refusal.FIELD_INVALID,
                               f"1 to {limits.requests_per_call_max} requests per call")
        malformed = list(invalid) if invalid is not None else [None] * len(items)

        def unit(conn: Connection) -> list[CustodyResult]:
            refusals = [bad or turned_away for bad, turned_away in zip(
                malformed, gate(conn) if gate else [None] * len(items), strict=True)]
            answers = {index: _refused(no, refusal) for index, ((no, _), refusal)
                       in enumerate(zip(items, refusals, strict=True)) if refusal is not None}
            recorded = self._priors(conn, tenant_id, [no for index, (no, _) in enumerate(items)
                                                      if index not in answers])
            new = _to_run(items, answers, recorded)
            outcomes = work(conn, new) if new else []
            rows = []
            for index, outcome in zip(new, outcomes, strict=True):
                no, content = items[index]
                if isinstance(outcome, CunguanError):
                    answers[index] = _refused(no, outcome)
                    rows.append((no, content, "rejected", _refusal(outcome)))
                else:
                    answers[index] = CustodyResult(no, True, "ok", data=outcome)
                    rows.append((no, content, "ok", outcome))
            self._record(conn, tenant_id, operation, rows)
            for index, (no, content) in enumerate(items):
                if index in answers:
                    continue
                if not _request_no_ok(no):
                    answers[index] = CustodyResult(no, False, Refusal.FIELD_INVALID,
                                                   "bad request no.")
                    continue
                # recorded before, or earlier in this call (the record is visible): a replay
                replay = self._prior(conn, tenant_id, no, _digest(operation, content),
                                     operation, content)
                replay = present(replay, "a request answered earlier has its record")
                answers[index] = replay
            return [answers[index] for index in range(len(items))]
        if len(items) == 1 and gate is None and malformed[0] is None:
            # A single request is a call of one, run as every single command is (alone, or
            # grouped with concurrent ones by group commit); a refusal its work raises is
            # recorded the same way.
            no, content = items[0]
            return [self.runner(lambda conn: unit(conn)[0],
                                self._refused(tenant_id, operation, no, content))]
        return in_transaction(self.engine, unit)

    def records_many(self, tenant_id: str, operation: str, records: Sequence[R],
                     work: RecordsWork[R], gate: Gate | None = None,
                     overrides: dict[str, custody_fields.Check] | None = None
                     ) -> list[CustodyResult]:
        """A set-based call of request records: each checked by its form first
        (``checked_each``), then run as ``commands_many``, ``work`` given the new ones."""
        records, invalid = checked_each(records, overrides)
        return self.commands_many(
            tenant_id, operation, [(r.request_no, r.content()) for r in records],
            lambda conn, new: work(conn, tenant_id, [records[i] for i in new]), gate, invalid)

    def _priors(self, conn: Connection, tenant_id: str, request_nos: list[str]) -> set[str]:
        return request_log.recorded(conn, tenant_id, request_nos)

    def run_alone(self, unit: Unit, refused: Refused) -> CustodyResult:
        """A command in a DB transaction of its own; its refusal recorded in another (the
        first rolled back). ``runner`` may be replaced by group commit (``group_commit``)."""
        try:
            return in_transaction(self.engine, unit)
        except CunguanError as exc:  # custody and ledger refusals alike become the answer
            refusal = exc
        return in_transaction(self.engine, lambda conn: refused(conn, refusal))

    def _prior(self, conn: Connection, tenant_id: str, request_no: str, digest: int,
               operation: str, content: Data) -> CustodyResult | None:
        row = request_log.prior(conn, tenant_id, request_no)
        if row is None:
            return None
        if row[0] != digest:
            fields = (["operation"] if row[3] != operation else
                      differing_fields(json.loads(row[4] or "{}"), content))
            return CustodyResult(request_no, False, Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT,
                                 "this request no. was used for another request: "
                                 + ", ".join(fields), {"fields": fields})
        data = json.loads(row[2])
        if row[1] == "ok":
            return CustodyResult(request_no, True, "ok", data=data, replayed=True)
        return CustodyResult(request_no, False, data.pop("code"), data.pop("message"), data,
                             replayed=True)

    def _record(self, conn: Connection, tenant_id: str, operation: str,
                rows: Sequence[tuple[str, Data, str, Data]]) -> None:
        """Requests' records — (request no., content, status, result) — and their events in
        the callback outbox, in the caller's transaction: a result is never committed without
        its callback, nor the reverse."""
        if not rows:
            return
        results = [json.dumps(data, default=str, ensure_ascii=False) for *_, data in rows]
        canonicals = [_canonical(content) for _, content, _, _ in rows]
        request_log.record(conn, tenant_id, operation, self.clock(), [
            (no, _digest(operation, content, canonical), status, result, canonical)
            for (no, content, status, _), result, canonical
            in zip(rows, results, canonicals, strict=True)])

    def request_status(self, tenant_id: str, request_no: str) -> Data | None:
        """R-C21: what became of a request, by its serial no."""
        with read_connection(self.engine) as conn:
            row = request_log.status(conn, tenant_id, request_no)
        if row is None:
            return None
        return {"operation": row[0], "status": row[1], "result": json.loads(row[2]),
                "created_at": row[3].isoformat()}

    # -- shared steps ----------------------------------------------------------------------
    @staticmethod
    def row(conn: Connection, table: Table, tenant_id: str, key: str, value: str, *,
            missing: str, lock: bool = True) -> Any:
        """The tenant's row of ``table`` whose ``key`` column is ``value`` (locked on
        PostgreSQL), or the named error ``missing``."""
        found = keyed.row(conn, table, tenant_id, key, value, lock=lock)
        if found is None:
            raise CustodyError(missing, f"no {key} {value}")
        return found

    @staticmethod
    def require_new(conn: Connection, table: Table, tenant_id: str, key: str, value: str, *,
                    exists: str) -> None:
        """Refuse with ``exists`` when the tenant already has a row whose ``key`` is ``value``
        (a concurrent twin loses on the unique key, is retried, and lands here)."""
        if keyed.exists(conn, table, tenant_id, key, value):
            raise CustodyError(exists, f"{key} {value} exists")

    @staticmethod
    def set_rows(conn: Connection, table: Table, tenant_id: str, key: str,
                 rows: Sequence[Data]) -> None:
        """New values for many of the tenant's rows, each named by its ``key`` column."""
        keyed.set_rows(conn, table, tenant_id, key, rows)

    @staticmethod
    def set_row(conn: Connection, table: Table, tenant_id: str, key: str, value: str,
                **values: Any) -> None:
        CustodyBase.set_rows(conn, table, tenant_id, key, [{key: value, **values}])

    def post(self, conn: Connection, tenant_id: str,
             commands: Sequence[Command]) -> list[Result]:
        """Post linked: any rejection refuses the whole custody command with its code."""
        results = self.ledger.post_in(conn, tenant_id, commands, linked=True)
        failed = next((r for r in results if not r.ok and r.reject != "linked_command_failed"),
                      None)
        if failed is not None:
            raise CustodyError(str(failed.reject), failed.detail or str(failed.reject),
                               ledger_request_no=failed.request_no)
        return results

    def post_each(self, conn: Connection, tenant_id: str,
                  planned: Sequence["Planned | CunguanError"]) -> list[Data | CunguanError]:
        """Post many requests' ledger commands in one ledger batch, each request's commands an
        all-or-nothing chain independent of the others; each request then answers with its
        ``done`` given its results, or with the refusal of its chain (the code ``post`` would
        have raised). A request refused before reaching the ledger keeps its refusal."""
        chains = [p.commands for p in planned if isinstance(p, Planned) and p.commands]
        flat = [cmd for chain in chains for cmd in chain]
        results = iter(self.ledger.post_in(conn, tenant_id, flat, chains=[len(c) for c in chains]))
        outcomes: list[Data | CunguanError] = []
        for item in planned:
            if not isinstance(item, Planned):
                outcomes.append(item)
                continue
            mine = [next(results) for _ in item.commands]
            failed = next((r for r in mine if not r.ok and r.reject != "linked_command_failed"),
                          None)
            outcomes.append(item.done(mine) if failed is None else CustodyError(
                str(failed.reject), failed.detail or str(failed.reject),
                ledger_request_no=failed.request_no))
        return outcomes

    def user(self, conn: Connection, tenant_id: str, user_id: str, *,
             lock: bool = False) -> Any:
        return self.row(conn, custody_users, tenant_id, "user_id", user_id,
                        missing="user_not_found", lock=lock)

    def active_user(self, conn: Connection, tenant_id: str, user_id: str) -> Any:
        row = self.user(conn, tenant_id, user_id)
        if row.status != "active":
            raise CustodyError(Refusal.USER_NOT_ACTIVE, f"user {user_id} is {row.status}")
        return row

    def verify_password(self, tenant_id: str, user_id: str, password: str) -> None:
        """Check a transaction password in its own transaction, so a failure is counted even
        though the command it guards is refused; the user row is locked, so concurrent wrong
        attempts are counted exactly."""
        def check(conn: Connection) -> bool:
            row = self.user(conn, tenant_id, user_id, lock=True)
            if row.password_hash is None:
                raise CustodyError(Refusal.PASSWORD_NOT_SET, "the user has no transaction password")
            try:
                attempt = passwords.check_attempt(
                    row.password_hash, password, failed_attempts=row.failed_attempts,
                    locked_until=row.locked_until, now=self.clock(),
                    lock_for=self.password_lock)
            except passwords.PasswordError as exc:
                raise CustodyError(exc.code, str(exc)) from exc
            credentials.set_password_attempts(conn, tenant_id, user_id,
                                              failed_attempts=attempt.failed_attempts,
                                              locked_until=attempt.locked_until)
            return attempt.ok

        if not in_transaction(self.engine, check):
            raise CustodyError(Refusal.PASSWORD_WRONG, "the transaction password is wrong")

    def consented(self, grants: dict[str, Any], user_id: str, amount_fen: int,
                  password_checked: bool) -> bool:
        """The user entered the transaction password, or holds a standing authorization
        (免密授权) covering ``amount_fen`` now: ``grants`` are the active ones of the kind,
        read set-based by user (``lookups.authorizations``), for one request or many."""
        grant = grants.get(user_id)
        return password_checked or (grant is not None and amount_fen <= grant.max_amount_fen
                                    and self.clock() < grant.expires_at)

    def need_consent(self, grants: dict[str, Any], user_id: str, kind: str, amount_fen: int,
                     password_checked: bool) -> None:
        """``consented``, or refused ``authorization_required``."""
        if not self.consented(grants, user_id, amount_fen, password_checked):
            raise _consent_refused(kind)

    def accounting_date(self, conn: Connection, tenant_id: str) -> date:
        day = tenant_date(conn, tenant_id)
        if day is None:
            raise CustodyError(Refusal.TENANT_NOT_FOUND, f"no platform {tenant_id}")
        return day

    def now(self) -> datetime:
        return self.clock()

"""The ledger service: one DB transaction per batch, retried when it loses a lock race."""

from collections.abc import Sequence
from datetime import date

from cunguan.core import fields, limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import Clock, system_clock
from cunguan.core.errors import CunguanError, present
from cunguan.db.connection import Connection, Engine, read_connection
from cunguan.db.unit_of_work import with_retries
from cunguan.ledger import rules
from cunguan.ledger.engine import (
    BatchPlan,
    BatchState,
    field_refusal,
    field_refusals,
    plan_batch,
    reusing_ids,
)
from cunguan.ledger.model import (
    Account,
    AccountSpec,
    AccountStatus,
    Command,
    FundLogLine,
    Hold,
    Reject,
    Release,
    Result,
    Transfer,
    content_hash,
)
from cunguan.ledger.store import queries, setup
from cunguan.ledger.store.batches import BatchStore
from cunguan.ledger.store.calendar import load_calendar
from cunguan.ledger.store.ids import IdBlocks

#: What ``ledger_post_transfer`` answers for a request no. applied before with this content.
_REPLAYED = "replayed"


class LedgerService:
    """Opens tenants and accounts, executes command batches, answers queries."""

    def __init__(self, engine: Engine, *, clock: Clock = system_clock,
                 calendar: WorkingCalendar | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.calendar = calendar or load_calendar(engine)
        self._ids = IdBlocks(engine)
        self._postgres = engine.dialect.name == "postgresql"

    # -- set-up --------------------------------------------------------------------------------
    def create_tenant(self, tenant_id: str, name: str, accounting_date: date) -> None:
        """A tenant with its first open day; a malformed field is refused ``field_invalid``
        naming it (an identifier, display text, a date)."""
        tenant_id, name, accounting_date = rules.tenant_fields(tenant_id, name, accounting_date)
        with self.engine.begin() as conn:
            if setup.tenant_exists(conn, tenant_id):
                raise CunguanError("tenant_exists", f"tenant {tenant_id} exists already")
            setup.insert_tenant(conn, tenant_id, name, accounting_date, created_at=self.clock(),
                                is_working_day=self.calendar.is_working_day(accounting_date))

    def open_accounts(self, tenant_id: str, specs: Sequence[AccountSpec]) -> None:
        """Open accounts, all or none; an existing account no. refuses the whole call."""
        with self.engine.begin() as conn:
            self.open_accounts_in(conn, tenant_id, specs)

    def open_accounts_in(self, conn: Connection, tenant_id: str,
                         specs: Sequence[AccountSpec]) -> None:
        """Open accounts inside the caller's DB transaction."""
        now = self.clock()
        _tenant(tenant_id)
        specs = [rules.account_spec(spec) for spec in specs]
        if queries.tenant_date(conn, tenant_id) is None:
            raise CunguanError(Reject.TENANT_NOT_FOUND, f"no tenant {tenant_id}")
        taken = queries.existing_account_nos(conn, tenant_id, [s.account_no for s in specs])
        if taken or len({s.account_no for s in specs}) < len(specs):
            raise CunguanError("account_exists", "account nos. exist already or repeat: "
                               f"{', '.join(sorted(taken)[:10])}")
        setup.insert_accounts(conn, tenant_id, specs, opened_at=now)

    def set_account_status(self, tenant_id: str, account_no: str,
                           status: AccountStatus) -> Account:
        """Freeze for debit (止付), freeze, unfreeze or close an account. Closing needs it empty."""
        _tenant(tenant_id)
        _account_no(account_no)
        status = rules.account_status(status)
        with self.engine.begin() as conn:
            account = queries.get_account(conn, tenant_id, account_no)
            if account is None:
                raise CunguanError(Reject.ACCOUNT_NOT_FOUND, f"no account {account_no}")
            if account.status is AccountStatus.CLOSED:
                raise CunguanError(Reject.ACCOUNT_CLOSED, f"account {account_no} is closed")
            if status is AccountStatus.CLOSED and (account.balance_fen or account.frozen_fen):
                raise CunguanError("account_not_empty",
                                   f"account {account_no} still holds money or holds")
            setup.set_account_status(conn, tenant_id, account_no, status)
            updated = queries.get_account(conn, tenant_id, account_no)
        return present(updated, "the account just updated exists")

    # -- commands ------------------------------------------------------------------------------
    def execute(self, tenant_id: str, commands: Sequence[Command], *,
                linked: bool = False) -> list[Result]:
        """Apply a batch in one DB transaction: each command on its own, or all-or-nothing."""
        if not commands:
            return []
        if len(commands) > limits.commands_per_batch_max:
            raise CunguanError("batch_too_large", f"at most {limits.commands_per_batch_max} "
                               "commands per batch")
        if self._postgres and len(commands) == 1 and type(commands[0]) is Transfer:
            single = commands[0]
            return [with_retries(lambda: self._transfer_once(tenant_id, single))]
        return with_retries(lambda: self._execute_once(tenant_id, commands, linked))

    def _transfer_once(self, tenant_id: str, cmd: Transfer) -> Result:
        """One transfer on PostgreSQL in one round trip (``ledger_post_transfer``, migration
        0024). A command the stateless checks refuse takes the general path, which names the
        refusal; the function checks the rest as the planner does, in the same order."""
        if (field_refusal(cmd) is not None or rules.check_amount(cmd.amount_fen) is not None
                or cmd.debit_account_no == cmd.credit_account_no):
            return self._execute_once(tenant_id, [cmd], False)[0]
        _tenant(tenant_id)
        tx_id = next(self._ids.reserve(1))
        pooled = self.engine.raw_connection()
        try:
            store = BatchStore(pooled.driver_connection, postgres=True)
            code, posted_id, detail = store.post_transfer(tenant_id, tx_id, cmd,
                                                          content_hash(cmd), self.clock())
        finally:
            pooled.close()
        if code is None:
            return Result(cmd.request_no, None, posted_id)
        if code == _REPLAYED:
            return Result(cmd.request_no, None, posted_id, replayed=True)
        if code == Reject.TENANT_NOT_FOUND:
            raise CunguanError(Reject.TENANT_NOT_FOUND, f"no tenant {tenant_id}")
        return Result(cmd.request_no, Reject(code), detail=detail or "")

    def _execute_once(self, tenant_id: str, commands: Sequence[Command],
                      linked: bool) -> list[Result]:
        pooled = self.engine.raw_connection()
        store = BatchStore(pooled.driver_connection, postgres=self._postgres)
        try:
            store.begin()
            results = self._post(store, tenant_id, commands, linked, commit=True)
        except BaseException:
            store.rollback()
            raise
        finally:
            pooled.close()  # back to the pool
        return results

    def post_in(self, conn: Connection, tenant_id: str, commands: Sequence[Command], *,
                linked: bool = False, chains: Sequence[int] | None = None) -> list[Result]:
        """Apply a batch inside the caller's DB transaction (a custody unit of work): all
        linked, each on its own, or in all-or-nothing ``chains`` (their lengths, in order).

        The caller commits or rolls back; it must have begun the transaction (``engine.begin``).
        """
        store = BatchStore(conn.connection.driver_connection, postgres=self._postgres)
        return self._post(store, tenant_id, commands, linked, commit=False, chains=chains)

    def _post(self, store: BatchStore, tenant_id: str, commands: Sequence[Command],
              linked: bool, *, commit: bool,
              chains: Sequence[int] | None = None) -> list[Result]:
        if not commands:
            return []
        _tenant(tenant_id)
        # Malformed commands are refused by name in planning; the store never reads by them.
        refusals = field_refusals(commands)
        loadable = (commands if not any(refusals) else
                    [c for c, refusal in zip(commands, refusals, strict=True) if refusal is None])
        accounting_date, state = store.load(tenant_id, loadable)
        if accounting_date is None:
            raise CunguanError(Reject.TENANT_NOT_FOUND, f"no tenant {tenant_id}")
        inside_caller_tx = not commit
        tx_ids = (self._ids.reserve(len(commands),
                                    store.next_id_block if inside_caller_tx else None)
                  if self._postgres else store.allocate_ids(len(commands)))
        issued: list[int] = []
        now = self.clock()
        stamps = store.row_stamps(accounting_date, now)

        def plan(state: BatchState) -> BatchPlan:   # a second planning reuses the ids
            return plan_batch(tenant_id, commands, state, linked=linked,
                              accounting_date=accounting_date, now=now,
                              next_tx_id=reusing_ids(issued, tx_ids.__next__), chains=chains,
                              refusals=refusals, stamps=stamps)

        planned = plan(state)
        if not store.write(tenant_id, planned, commit=commit):
            # A hot account moved beyond what the plan can carry: plan again, it locked.
            _, state = store.load(tenant_id, loadable, lock_hot=True)
            planned = plan(state)
            if not store.write(tenant_id, planned, commit=commit):
                raise AssertionError("a plan on locked accounts cannot need rebasing")
        return planned.results

    def transfer(self, tenant_id: str, command: Transfer) -> Result:
        return self.execute(tenant_id, [command])[0]

    def expire_holds(self, tenant_id: str) -> list[Result]:
        """Release every open hold whose expiry has passed; safe to run again (R-L4)."""
        _tenant(tenant_id)
        with read_connection(self.engine) as conn:
            hold_ids = queries.expired_hold_ids(conn, tenant_id, self.clock(),
                                                limits.commands_per_batch_max)
        commands = [Release(f"expire:{hold_id}", hold_id, "expired", expired=True)
                    for hold_id in hold_ids]
        return self.execute(tenant_id, commands)

    # -- queries -------------------------------------------------------------------------------
    def account(self, tenant_id: str, account_no: str) -> Account:
        _tenant(tenant_id)
        _account_no(account_no)
        with read_connection(self.engine) as conn:
            account = queries.get_account(conn, tenant_id, account_no)
        if account is None:
            raise CunguanError(Reject.ACCOUNT_NOT_FOUND, f"no account {account_no}")
        return account

    def accounts(self, tenant_id: str) -> list[Account]:
        _tenant(tenant_id)
        with read_connection(self.engine) as conn:
            return queries.list_accounts(conn, tenant_id)

    def fund_log(self, tenant_id: str, account_no: str, *, date_from: date | None = None,
                 date_to: date | None = None, after_seq: int = 0,
                 rows_max: int = limits.page_rows_max) -> list[FundLogLine]:
        _tenant(tenant_id)
        _account_no(account_no)
        for day, name in ((date_from, "date_from"), (date_to, "date_to")):
            if day is not None:
                fields.day(day, name)
        fields.whole_number(after_seq, "after_seq", minimum=0, maximum=limits.id_max)
        rows_max = max(1, min(fields.whole_number(rows_max, "rows_max", minimum=-limits.id_max,
                                                  maximum=limits.id_max), limits.page_rows_max))
        with read_connection(self.engine) as conn:
            return queries.fund_log_page(conn, tenant_id, account_no, date_from=date_from,
                                         date_to=date_to, after_seq=after_seq,
                                         rows_max=rows_max)

    def balance_at(self, tenant_id: str, account_no: str, day: date) -> int:
        _tenant(tenant_id)
        _account_no(account_no)
        fields.day(day, "day")
        with read_connection(self.engine) as conn:
            return queries.balance_at(conn, tenant_id, account_no, day)

    def hold(self, tenant_id: str, hold_id: int) -> Hold:
        _tenant(tenant_id)
        fields.whole_number(hold_id, "hold_id", minimum=1, maximum=limits.id_max)
        with read_connection(self.engine) as conn:
            hold = queries.get_hold(conn, tenant_id, hold_id)
        if hold is None:
            raise CunguanError(Reject.HOLD_NOT_FOUND, f"no hold {hold_id}")
        return hold

    def open_holds_total(self, tenant_id: str, account_no: str) -> int:
        _tenant(tenant_id)
        _account_no(account_no)
        with read_connection(self.engine) as conn:
            return queries.open_holds_total(conn, tenant_id, account_no)

    def tenants(self) -> list[str]:
        with read_connection(self.engine) as conn:
            return queries.tenant_ids(conn)

    def accounting_date(self, tenant_id: str) -> date:
        _tenant(tenant_id)
        with read_connection(self.engine) as conn:
            value = queries.tenant_date(conn, tenant_id)
        if value is None:
            raise CunguanError(Reject.TENANT_NOT_FOUND, f"no tenant {tenant_id}")
        return value


def _tenant(tenant_id: object) -> None:
    """A tenant id looked up: text a column can hold (refused field_invalid otherwise)."""
    rules.known_name(tenant_id, "tenant_id", limits.tenant_id_length_max)


def _account_no(account_no: object) -> None:
    rules.known_name(account_no, "account_no", limits.account_no_length_max)

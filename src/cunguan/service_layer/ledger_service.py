"""The ledger service: one DB transaction per batch, retried when it loses a lock race."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, Engine, insert, update

from cunguan.adapters.store import queries
from cunguan.adapters.store.db import read_connection
from cunguan.adapters.store.ids import IdBlocks
from cunguan.adapters.store.ledger_store import BatchStore
from cunguan.adapters.store.tables import accounts, ledger_days, tenants
from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import Clock, system_clock
from cunguan.core.errors import CunguanError
from cunguan.ledger.engine import BatchPlan, BatchState, plan_batch, reusing_ids
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
)
from cunguan.service_layer.calendar_service import load_calendar
from cunguan.service_layer.unit_of_work import with_retries


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
        if not tenant_id or len(tenant_id) > limits.tenant_id_length_max:
            raise CunguanError("field_invalid", "tenant id must be 1 to "
                               f"{limits.tenant_id_length_max} characters")
        with self.engine.begin() as conn:
            if conn.execute(tenants.select().where(tenants.c.tenant_id == tenant_id)).first():
                raise CunguanError("tenant_exists", f"tenant {tenant_id} exists already")
            conn.execute(insert(tenants).values(tenant_id=tenant_id, name=name,
                                                accounting_date=accounting_date,
                                                created_at=self.clock()))
            conn.execute(insert(ledger_days).values(
                tenant_id=tenant_id, accounting_date=accounting_date, status="open",
                is_working_day=int(self.calendar.is_working_day(accounting_date)), report=""))

    def open_accounts(self, tenant_id: str, specs: Sequence[AccountSpec]) -> None:
        """Open accounts, all or none; an existing account no. refuses the whole call."""
        with self.engine.begin() as conn:
            self.open_accounts_in(conn, tenant_id, specs)

    def open_accounts_in(self, conn: Connection, tenant_id: str,
                         specs: Sequence[AccountSpec]) -> None:
        """Open accounts inside the caller's DB transaction."""
        now = self.clock()
        if queries.tenant_date(conn, tenant_id) is None:
            raise CunguanError(Reject.TENANT_NOT_FOUND, f"no tenant {tenant_id}")
        for spec in specs:
            _check_spec(spec)
        taken = queries.existing_account_nos(conn, tenant_id, [s.account_no for s in specs])
        if taken or len({s.account_no for s in specs}) < len(specs):
            raise CunguanError("account_exists", "account nos. exist already or repeat: "
                               f"{', '.join(sorted(taken)[:10])}")
        conn.execute(insert(accounts), [{
            "tenant_id": tenant_id, "account_no": s.account_no, "owner": s.owner,
            "role": s.role, "subject_code": s.subject_code,
            "normal_side": s.normal_side.value, "status": AccountStatus.NORMAL.value,
            "flags": int(s.flags), "overdraft_limit_fen": s.overdraft_limit_fen,
            "balance_fen": 0, "frozen_fen": 0, "entry_seq": 0, "opened_at": now,
        } for s in specs])

    def set_account_status(self, tenant_id: str, account_no: str,
                           status: AccountStatus) -> Account:
        """Freeze for debit (止付), freeze, unfreeze or close an account. Closing needs it empty."""
        with self.engine.begin() as conn:
            account = queries.get_account(conn, tenant_id, account_no)
            if account is None:
                raise CunguanError(Reject.ACCOUNT_NOT_FOUND, f"no account {account_no}")
            if account.status is AccountStatus.CLOSED:
                raise CunguanError(Reject.ACCOUNT_CLOSED, f"account {account_no} is closed")
            if status is AccountStatus.CLOSED and (account.balance_fen or account.frozen_fen):
                raise CunguanError("account_not_empty",
                                   f"account {account_no} still holds money or holds")
            conn.execute(update(accounts).where(
                accounts.c.tenant_id == tenant_id, accounts.c.account_no == account_no,
            ).values(status=status.value))
            updated = queries.get_account(conn, tenant_id, account_no)
        assert updated is not None
        return updated

    # -- commands ------------------------------------------------------------------------------
    def execute(self, tenant_id: str, commands: Sequence[Command], *,
                linked: bool = False) -> list[Result]:
        """Apply a batch in one DB transaction: each command on its own, or all-or-nothing."""
        if not commands:
            return []
        if len(commands) > limits.commands_per_batch_max:
            raise CunguanError("batch_too_large", f"at most {limits.commands_per_batch_max} "
                               "commands per batch")
        return with_retries(lambda: self._execute_once(tenant_id, commands, linked))

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
        accounting_date, state = store.load(tenant_id, commands)
        if accounting_date is None:
            raise CunguanError(Reject.TENANT_NOT_FOUND, f"no tenant {tenant_id}")
        inside_caller_tx = not commit
        tx_ids = (self._ids.reserve(len(commands),
                                    store.next_id_block if inside_caller_tx else None)
                  if self._postgres else store.allocate_ids(len(commands)))
        issued: list[int] = []
        now = self.clock()

        def plan(state: BatchState) -> BatchPlan:   # a second planning reuses the ids
            return plan_batch(tenant_id, commands, state, linked=linked,
                              accounting_date=accounting_date, now=now,
                              next_tx_id=reusing_ids(issued, tx_ids.__next__), chains=chains)

        planned = plan(state)
        if not store.write(tenant_id, planned, commit=commit):
            # A hot account moved beyond what the plan can carry: plan again, it locked.
            _, state = store.load(tenant_id, commands, lock_hot=True)
            planned = plan(state)
            if not store.write(tenant_id, planned, commit=commit):
                raise AssertionError("a plan on locked accounts cannot need rebasing")
        return planned.results

    def transfer(self, tenant_id: str, command: Transfer) -> Result:
        return self.execute(tenant_id, [command])[0]

    def expire_holds(self, tenant_id: str) -> list[Result]:
        """Release every open hold whose expiry has passed; safe to run again (R-L4)."""
        with read_connection(self.engine) as conn:
            hold_ids = queries.expired_hold_ids(conn, tenant_id, self.clock(),
                                                limits.commands_per_batch_max)
        commands = [Release(f"expire:{hold_id}", hold_id, "expired", expired=True)
                    for hold_id in hold_ids]
        return self.execute(tenant_id, commands)

    # -- queries -------------------------------------------------------------------------------
    def account(self, tenant_id: str, account_no: str) -> Account:
        with read_connection(self.engine) as conn:
            account = queries.get_account(conn, tenant_id, account_no)
        if account is None:
            raise CunguanError(Reject.ACCOUNT_NOT_FOUND, f"no account {account_no}")
        return account

    def accounts(self, tenant_id: str) -> list[Account]:
        with read_connection(self.engine) as conn:
            return queries.list_accounts(conn, tenant_id)

    def fund_log(self, tenant_id: str, account_no: str, *, date_from: date | None = None,
                 date_to: date | None = None, after_seq: int = 0,
                 rows_max: int = limits.page_rows_max) -> list[FundLogLine]:
        rows_max = max(1, min(rows_max, limits.page_rows_max))
        with read_connection(self.engine) as conn:
            return queries.fund_log_page(conn, tenant_id, account_no, date_from=date_from,
                                         date_to=date_to, after_seq=after_seq,
                                         rows_max=rows_max)

    def balance_at(self, tenant_id: str, account_no: str, day: date) -> int:
        with read_connection(self.engine) as conn:
            return queries.balance_at(conn, tenant_id, account_no, day)

    def hold(self, tenant_id: str, hold_id: int) -> Hold:
        with read_connection(self.engine) as conn:
            hold = queries.get_hold(conn, tenant_id, hold_id)
        if hold is None:
            raise CunguanError(Reject.HOLD_NOT_FOUND, f"no hold {hold_id}")
        return hold

    def open_holds_total(self, tenant_id: str, account_no: str) -> int:
        with read_connection(self.engine) as conn:
            return queries.open_holds_total(conn, tenant_id, account_no)

    def tenants(self) -> list[str]:
        with read_connection(self.engine) as conn:
            return queries.tenant_ids(conn)

    def accounting_date(self, tenant_id: str) -> date:
        with read_connection(self.engine) as conn:
            value = queries.tenant_date(conn, tenant_id)
        if value is None:
            raise CunguanError(Reject.TENANT_NOT_FOUND, f"no tenant {tenant_id}")
        return value


def _check_spec(spec: AccountSpec) -> None:
    if not spec.account_no or len(spec.account_no) > limits.account_no_length_max:
        raise CunguanError(Reject.FIELD_INVALID, "account no. must be 1 to "
                           f"{limits.account_no_length_max} characters")
    if spec.overdraft_limit_fen < 0 or spec.overdraft_limit_fen > limits.amount_fen_max:
        raise CunguanError(Reject.FIELD_INVALID, "overdraft limit out of range")

"""The bank accounts register (R-B1): an operator adds each reserve or custody bank account
with the ledger accounts it mirrors; imports and matching refuse accounts not in it."""

from typing import Any

from cunguan.core import fields, limits
from cunguan.db.connection import Connection, read_connection
from cunguan.reconcile.handlers.base import ReconcileBase
from cunguan.reconcile.rules import register
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.store import accounts as store
from cunguan.reconcile.store import books


class Accounts(ReconcileBase):
    def add_account(self, account: register.BankAccount, *, operator: str) -> None:
        """Register the account (built by ``register.bank_account``, every field checked).
        Mirrors must be open ledger accounts of its tenant."""
        who = register.operator(operator)

        def work(conn: Connection) -> None:
            if store.account(conn, account.account_no) is not None:
                raise ReconcileError(Refusal.ACCOUNT_REGISTERED,
                                     f"bank account {account.account_no} is registered already")
            missing = [m for m in account.mirrors
                       if not books.ledger_account_exists(conn, str(account.tenant_id), m)]
            if missing:
                raise fields.FieldInvalid("mirrors", "no such ledger account of tenant "
                                          f"{account.tenant_id}: {', '.join(missing)}")
            store.insert_account(conn, account, row={"created_at": self.clock(),
                                                     "operator": who})
        self.unit(work)

    def accounts(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        """The register with each account's mirrors, by account no."""
        tenant = fields.optional_identifier(tenant_id, "tenant_id", limits.tenant_id_length_max)
        with read_connection(self.engine) as conn:
            rows = store.accounts(conn, tenant)
            mirrors = store.all_mirrors(conn)
        return [{**row._asdict(), "mirrors": mirrors.get(row.account_no, [])} for row in rows]

    def need_account(self, conn: Connection, account_no: str, *, lock: bool = False) -> Any:
        """The account's register row; one not registered is refused."""
        row = store.account(conn, account_no, lock=lock)
        if row is None:
            raise ReconcileError(Refusal.ACCOUNT_NOT_REGISTERED,
                                 f"bank account {account_no} is not registered",
                                 account_no=account_no)
        return row

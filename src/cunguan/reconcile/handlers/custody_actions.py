"""What a statement's import asks custody to do (R-C15), in the same import: the statement of
a custody platform's custody account (the register's ``custody`` account with its tenant)
reverses the withdrawals the bank returned or reversed; a quick-pay channel's settlement file
(its ``channel`` account) settles the recharges it paid for. Through custody's own commands
(``returns.py``), under serial nos. derived from the lines, so importing the file again
replays them and nothing happens twice. What custody cannot act on is kept as a break of the
line's day (its key the line's and the outcome's: kept once, never dropped by matching).

Custody's commands run after the import's transaction: each is its own, and one that did not
run (a crash between) runs when the file is imported again.
"""

from collections.abc import Sequence

from cunguan.db.connection import Connection, read_connection
from cunguan.reconcile.handlers.accounts import Accounts
from cunguan.reconcile.handlers.returns import apply_channel_settlement, apply_statement_returns
from cunguan.reconcile.rules import returns as rules
from cunguan.reconcile.rules.register import AccountKind
from cunguan.reconcile.rules.returns import ReturnOutcome
from cunguan.reconcile.rules.statements import StatementLine
from cunguan.reconcile.store import accounts as account_rows
from cunguan.reconcile.store import breaks as break_rows
from cunguan.reconcile.store import statements as store

#: The kinds of account whose statement custody acts on.
ACTED_ON = frozenset({AccountKind.CUSTODY, AccountKind.CHANNEL})


class CustodyActions(Accounts):
    def act_on_import(self, import_id: int, account_no: str,
                      operator: str) -> tuple[ReturnOutcome, ...]:
        """Custody's actions for an import's lines (none for other accounts' statements, or
        one in report mode), and the breaks kept for what it could not act on."""
        with read_connection(self.engine) as conn:
            account = account_rows.account(conn, account_no)
            if account is None or account.tenant_id is None \
                    or AccountKind(account.kind) not in ACTED_ON:
                return ()
            lines = store.lines_of_import(conn, import_id)
            settled = store.by_import(conn, import_id).to_date
        tenant_id = str(account.tenant_id)
        if AccountKind(account.kind) is AccountKind.CUSTODY:
            outcomes = apply_statement_returns(self.custody, tenant_id, lines)
        else:
            outcomes = apply_channel_settlement(self.custody, tenant_id,
                                                rules.arrived_on(lines, settled))
        self._keep_breaks(account_no, outcomes, dict(lines), operator)
        return tuple(outcomes)

    def _keep_breaks(self, account_no: str, outcomes: Sequence[ReturnOutcome],
                     lines: dict[str, StatementLine], operator: str) -> None:
        rows = [rules.break_row(account_no, o, lines[o.line_key])
                for o in outcomes if o.is_break]
        if rows:
            def work(conn: Connection) -> None:
                break_rows.keep(conn, rows, operator, self.clock())
            self.unit(work)

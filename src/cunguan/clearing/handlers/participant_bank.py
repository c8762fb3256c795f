"""A participant bank's own side of BEPS on the ledger (issue 22): its customers' accounts in
a ledger tenant of its own, outward credit items held then settled (or released), inward items
credited to the named customer or returned (R-S2, R-S4, R-S7). The rules are in
``rules/participant_bank.py``; only the ledger changes balances.

Each step is idempotent: an outward credit by its serial no. (the same content again answers
the first acceptance), an inward item by its item id (taken once), each ledger command by a
serial no. derived from them.
"""

import hashlib
import json
from typing import Any

from cunguan.clearing.handlers.day_end import DayEnd
from cunguan.clearing.rules import participant_bank as bank_rules
from cunguan.clearing.rules.participant_bank import (
    BEPS_ACCOUNT,
    SUSPENSE_ACCOUNT,
    VAULT_ACCOUNT,
    Outward,
    TransferState,
    bank_tenant,
)
from cunguan.clearing.rules.participants import bank_code, clearing_bank
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.clearing.store import bank_transfers, systems
from cunguan.core import limits
from cunguan.core.errors import CunguanError
from cunguan.core.fields import amount_fen, choice, identifier, text
from cunguan.db.connection import Connection
from cunguan.ledger.model import (
    AccountFlag,
    AccountSpec,
    Command,
    Freeze,
    Payee,
    Reject,
    Release,
    Result,
    Settle,
    Side,
    Transfer,
)

OUTWARD, INWARD = "outward", "inward"


class ParticipantBanks(DayEnd):
    # -- the bank's books ------------------------------------------------------------------------
    def open_bank_books(self, code: object) -> str:
        """A registered participant's own books: a ledger tenant with its BEPS clearing
        account and its vault; its tenant id. Taken up where a cut-short set-up stopped."""
        bank = self.participant(code).bank_code
        tenant = bank_tenant(bank)
        work_date = self.unit(lambda conn: self.system(conn)[0])
        try:
            self.ledger.create_tenant(tenant, f"BEPS participant {bank}", work_date)
        except CunguanError as exc:
            if exc.code != "tenant_exists":
                raise
        for spec in (AccountSpec(BEPS_ACCOUNT, bank, "beps_clearing", "3011", Side.CREDIT,
                                 AccountFlag.OVERDRAFT, limits.amount_fen_max),
                     AccountSpec(VAULT_ACCOUNT, bank, "cash", "1001", Side.DEBIT),
                     AccountSpec(SUSPENSE_ACCOUNT, bank, "suspense", "2241", Side.CREDIT)):
            try:
                self.ledger.open_accounts(tenant, [spec])
            except CunguanError as exc:
                if exc.code != "account_exists":
                    raise
        return tenant

    def open_customer_account(self, code: object, account_no: object,
                              customer_no: object) -> None:
        """A customer's account (credit-normal: money the bank owes) on the bank's books."""
        bank = bank_code(code)
        account = identifier(account_no, "account_no", limits.account_no_length_max)
        owner = identifier(customer_no, "customer_no")
        self.ledger.open_accounts(bank_tenant(bank), [
            AccountSpec(account, owner, "customer", "2011", Side.CREDIT)])

    def deposit(self, code: object, request_no: object, account_no: object,
                amount: object) -> None:
        """Cash onto a customer's account (Dr vault / Cr customer)."""
        bank = bank_code(code)
        request = identifier(request_no, "request_no", limits.request_no_length_max)
        account = identifier(account_no, "account_no", limits.account_no_length_max)
        [result] = self.ledger.execute(bank_tenant(bank), [Transfer(
            request, VAULT_ACCOUNT, account, amount_fen(amount), "cash_deposit")])
        _raise_rejected(result)

    # -- outward ---------------------------------------------------------------------------------
    def send_credit(self, code: object, serial_no: object, customer_account: object,
                    customer_name: object, creditor_bank: object, creditor_account: object,
                    creditor_name: object, amount: object) -> dict[str, Any]:
        """A customer's outward ordinary credit: the amount is held on the customer's account
        now and goes out in the bank's next package (``send_outward``)."""
        fields = _outward_fields(code, serial_no, customer_account, customer_name,
                                 creditor_bank, creditor_account, creditor_name, amount)
        return self.unit(lambda conn: self.send_credit_in(conn, hold=True, **fields))

    def send_credit_in(self, conn: Connection, *, hold: bool, **fields: Any) -> dict[str, Any]:
        """``send_credit`` in the caller's transaction. ``hold=False``: the money is held
        already where the caller keeps it (custody's withdrawal hold), so the bank only sends
        the item and reports its fate (``transfer``)."""
        bank, serial = fields["bank"], fields["serial_no"]
        _, params = self.system(conn)
        digest = hashlib.sha256(json.dumps({**fields, "hold": hold}, sort_keys=True)
                                .encode()).hexdigest()
        known = bank_transfers.transfer(conn, self.system_id, bank, OUTWARD, serial)
        if known is not None:
            if known.digest != digest:
                raise ClearingError(Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT,
                                    f"serial no. {serial} was used for another transfer")
            return _view(known)
        register = systems.register(conn, self.system_id)
        clearing_bank(bank, register, "bank_code")
        clearing_bank(fields["creditor_bank"], register, "creditor_bank")
        if fields["amount_fen"] > params.credit_item_max_fen:
            raise ClearingError(Refusal.CREDIT_OVER_CEILING,
                                f"{fields['amount_fen']} fen is above the "
                                f"{params.credit_item_max_fen} fen small-value ceiling")
        hold_id = None
        if hold:
            [result] = self._post(conn, bank, [Freeze(
                f"pbo:{serial}", fields["customer_account"], fields["amount_fen"],
                "BEPS outward credit", business_type="beps_outward_hold")])
            _raise_rejected(result)
            hold_id = result.tx_id
        now = self.clock()
        bank_transfers.insert_transfer(
            conn, system_id=self.system_id, bank_code=bank, serial_no=serial,
            direction=OUTWARD, customer_account=fields["customer_account"],
            customer_name=fields["customer_name"], counterparty_bank=fields["creditor_bank"],
            counterparty_account=fields["creditor_account"],
            counterparty_name=fields["creditor_name"], amount_fen=fields["amount_fen"],
            hold_id=hold_id, state=TransferState.PENDING.value, digest=digest,
            created_at=now, updated_at=now)
        return _view(bank_transfers.transfer(conn, self.system_id, bank, OUTWARD, serial))

    def send_outward(self, code: object) -> dict[str, Any]:
        """The bank's next packages: every pending outward credit, one package per receiving
        clearing bank (R-S2), then each item's hold settled or released as BEPS answered."""
        bank = bank_code(code)

        def work(conn: Connection) -> dict[str, Any]:
            work_date, params = self.system(conn, lock=True)
            register = systems.register(conn, self.system_id)
            rows = bank_transfers.in_states(conn, self.system_id, bank, OUTWARD,
                                            [TransferState.PENDING.value],
                                            limits.clearing_items_per_package_max)
            receivers, refused = {}, []
            for row in rows:    # what no package may carry now goes back: its hold released
                try:
                    receivers[row.counterparty_bank] = clearing_bank(
                        row.counterparty_bank, register, "creditor_bank").bank_code
                except ClearingError:
                    refused.append(row)     # the payee's bank closed since
                    continue
                if row.amount_fen > params.credit_item_max_fen:
                    refused.append(row)     # the ceiling was lowered since
            stuck = self._undo(conn, bank, refused)
            gone = {r.transfer_no for r in refused}
            outs = [_outward(r) for r in rows if r.transfer_no not in gone]
            sent = []
            for package, chunk in bank_rules.packages_of(bank, outs, receivers,
                                                         work_date=work_date,
                                                         items_max=params.items_per_package_max):
                intake = self._intake(conn, package, None)
                for out, (item_id, _) in zip(chunk, intake.states, strict=True):
                    bank_transfers.set_transfer(conn, out.transfer_no, self.clock(),
                                                state=TransferState.SENT.value, item_id=item_id)
                sent.append({"message_id": package.message_id, "items": len(chunk),
                             "receiver_bank": package.receiver_bank})
            synced = self._sync_outward(conn, bank)
            return {"packages": sent, "refused": [r.serial_no for r in refused],
                    **synced, "stuck": stuck + synced["stuck"]}
        return self.unit(work)

    def sync_outward(self, code: object) -> dict[str, Any]:
        """Settle the holds of the bank's outward items that netted, release those undone."""
        bank = bank_code(code)
        return self.unit(lambda conn: self._sync_outward(conn, bank))

    def _sync_outward(self, conn: Connection, bank: str) -> dict[str, Any]:
        rows = bank_transfers.in_states(conn, self.system_id, bank, OUTWARD,
                                        [TransferState.SENT.value],
                                        limits.clearing_items_per_package_max)
        states = bank_transfers.item_states(conn, self.system_id, [r.item_id for r in rows])
        settled = [r for r in rows if bank_rules.outward_outcome(states[r.item_id])
                   is TransferState.SETTLED]
        undone = [r for r in rows if bank_rules.outward_outcome(states[r.item_id])
                  is TransferState.RELEASED]
        stuck = self._close_holds(conn, bank, settled, TransferState.SETTLED)
        stuck += self._undo(conn, bank, undone)
        blocked = {s["serial_no"] for s in stuck}
        return {"settled": [r.serial_no for r in settled if r.serial_no not in blocked],
                "released": [r.serial_no for r in undone if r.serial_no not in blocked],
                "stuck": stuck}

    def _undo(self, conn: Connection, bank: str, rows: list[Any]) -> list[dict[str, str]]:
        return self._close_holds(conn, bank, rows, TransferState.RELEASED)

    def _close_holds(self, conn: Connection, bank: str, rows: list[Any],
                     state: TransferState) -> list[dict[str, str]]:
        """Settle (into the BEPS account) or release the rows' holds, each on its own, and
        move them to ``state``. A hold the ledger refuses to close (the customer's account
        frozen or closed since) keeps its row where it is, reported as stuck: the next pass
        tries again once the operator has dealt with the account."""
        held = [r for r in rows if r.hold_id is not None]
        commands: list[Command] = [
            Settle(f"pbo:{r.serial_no}:settle", r.hold_id, (Payee(BEPS_ACCOUNT, r.amount_fen),),
                   "beps_outward") if state is TransferState.SETTLED else
            Release(f"pbo:{r.serial_no}:release", r.hold_id, "BEPS did not take it",
                    "beps_outward_release") for r in held]
        results = self._post(conn, bank, commands) if commands else []
        refused = {r.serial_no: str(result.reject)
                   for r, result in zip(held, results, strict=True) if not result.ok}
        for row in rows:
            if row.serial_no not in refused:
                bank_transfers.set_transfer(conn, row.transfer_no, self.clock(),
                                            state=state.value)
        return [{"serial_no": no, "reason": reason} for no, reason in refused.items()]

    # -- inward ----------------------------------------------------------------------------------
    def take_inward(self, code: object) -> dict[str, list[str]]:
        """Every netted item for the bank's customers not yet taken: credited to the named
        account (the item becomes ``credited``), or returned when the account cannot take it
        (unknown, closed, frozen: R-S7) — or, a real-time item not being returnable, put on
        the bank's suspense account for the operator."""
        bank = bank_code(code)

        def work(conn: Connection) -> dict[str, list[str]]:
            self.system(conn, lock=True)
            taken: dict[str, list[str]] = {"credited": [], "returned": [], "suspended": []}
            for row in bank_transfers.arrived(conn, self.system_id, bank,
                                              limits.clearing_items_per_package_max):
                state = self._take_one(conn, bank, row)
                now = self.clock()
                bank_transfers.insert_transfer(
                    conn, system_id=self.system_id, bank_code=bank, serial_no=row.item_id,
                    direction=INWARD, customer_account=row.creditor_account,
                    customer_name="", counterparty_bank=row.debtor_bank,
                    counterparty_account=row.debtor_account, counterparty_name="",
                    amount_fen=row.amount_fen, hold_id=None, item_id=row.item_id,
                    state=state.value, digest="", created_at=now, updated_at=now)
                taken[state.value].append(row.item_id)
            return taken
        return self.unit(work)

    def _take_one(self, conn: Connection, bank: str, row: Any) -> TransferState:
        request = f"pbi:{self.system_id}:{row.arrival_seq}"
        [result] = self._post(conn, bank, [Transfer(
            request, BEPS_ACCOUNT, row.creditor_account, row.amount_fen, "beps_inward")])
        if result.ok:
            self.credit_in(conn, row)
            return TransferState.CREDITED
        if not bank_rules.cannot_take(result.reject):
            _raise_rejected(result)
        if bank_rules.returnable(row.business_type,
                                 is_return=row.returns_item_id is not None):
            self.return_in(conn, row, row.payee_bank)
            return TransferState.RETURNED
        [parked] = self._post(conn, bank, [Transfer(
            f"{request}:suspense", BEPS_ACCOUNT, SUSPENSE_ACCOUNT, row.amount_fen,
            "beps_inward_suspense", memo=row.item_id)])
        _raise_rejected(parked)
        return TransferState.SUSPENDED

    # -- reads -----------------------------------------------------------------------------------
    def transfer(self, code: object, serial_no: object, *,
                 direction: str = OUTWARD) -> dict[str, Any]:
        """One of the bank's transfers: outward by its serial no., inward by its item id."""
        bank = bank_code(code)
        serial = identifier(serial_no, "serial_no", limits.clearing_item_id_length_max)
        direction = choice(direction, "direction", (OUTWARD, INWARD))
        row = self.unit(lambda conn: bank_transfers.transfer(conn, self.system_id, bank,
                                                             direction, serial))
        if row is None:
            raise ClearingError(Refusal.TRANSFER_NOT_FOUND, f"no {direction} transfer {serial}")
        return _view(row)

    def _post(self, conn: Connection, bank: str, commands: list[Command]) -> list[Result]:
        """Commands on the bank's own books, in the caller's transaction."""
        try:
            return self.ledger.post_in(conn, bank_tenant(bank), commands)
        except CunguanError as exc:
            if exc.code != Reject.TENANT_NOT_FOUND:
                raise
            raise ClearingError(Refusal.BANK_BOOKS_NOT_OPEN,
                                f"{bank} has no books open (open_bank_books)") from exc


def _outward_fields(code: object, serial_no: object, customer_account: object,
                    customer_name: object, creditor_bank: object, creditor_account: object,
                    creditor_name: object, amount: object) -> dict[str, Any]:
    account_max, name_max = limits.account_no_length_max, limits.name_field_length_max
    return {"bank": bank_code(code),
            "serial_no": identifier(serial_no, "serial_no",
                                    limits.clearing_message_id_length_max),
            "customer_account": identifier(customer_account, "customer_account", account_max),
            "customer_name": text(customer_name, "customer_name", max_length=name_max),
            "creditor_bank": bank_code(creditor_bank, "creditor_bank"),
            "creditor_account": identifier(creditor_account, "creditor_account", account_max),
            "creditor_name": text(creditor_name, "creditor_name", max_length=name_max),
            "amount_fen": amount_fen(amount)}


def _outward(row: Any) -> Outward:
    return Outward(row.transfer_no, row.serial_no, row.customer_account, row.customer_name,
                   row.counterparty_bank, row.counterparty_account, row.counterparty_name,
                   row.amount_fen)


def _view(row: Any) -> dict[str, Any]:
    return {"serial_no": row.serial_no, "direction": row.direction, "state": row.state,
            "amount_fen": row.amount_fen, "customer_account": row.customer_account,
            "counterparty_bank": row.counterparty_bank, "item_id": row.item_id}


def _raise_rejected(result: Any) -> None:
    """A ledger refusal met inside a bank's command is answered under its ledger code."""
    if result.reject is not None:
        raise ClearingError(result.reject.value, result.detail or result.reject.value)

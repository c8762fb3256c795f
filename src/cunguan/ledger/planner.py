"""Plans one command at a time over a batch's in-memory account and hold state (pure, no I/O):
the rules decide, the planner moves balances and records the rows to write. Only this module
and ``engine`` (which drives it over a batch) decide how balances change."""

from collections.abc import Callable, Sequence
from datetime import date, datetime

from cunguan.core import limits
from cunguan.ledger import rules
from cunguan.ledger.batch import BatchState
from cunguan.ledger.model import (
    MONEY_KINDS,
    CompoundTransfer,
    Freeze,
    HoldStatus,
    LineKind,
    Posting,
    Reject,
    Release,
    Result,
    Reverse,
    Settle,
    Side,
    Transfer,
    TxKind,
)
from cunguan.ledger.rules import AccountState, HoldState

_POSTING, _HOLD, _UNHOLD = LineKind.POSTING.value, LineKind.HOLD.value, LineKind.UNHOLD.value
_DEBIT, _CREDIT, _TRANSFER = Side.DEBIT.value, Side.CREDIT.value, TxKind.TRANSFER.value


class Planner:
    """Applies commands one at a time; a rejected command leaves the working state untouched."""

    def __init__(self, tenant_id: str, state: BatchState, accounting_date: date,
                 now: datetime, next_tx_id: Callable[[], int],
                 stamps: tuple[object, object] | None = None) -> None:
        self.tenant_id = tenant_id
        self.state = state
        self.accounting_date = accounting_date
        self.now = now
        # The date and time as the rows carry them: on SQLite already the stored text, so the
        # driver adapts nothing per row (measured: 0.6 µs a value, 3.4 ms a 1,000-transfer batch).
        self._day, self._stamp = stamps or (accounting_date, now)
        self.next_tx_id = next_tx_id
        self.tx_rows: list[tuple[object, ...]] = []
        self.log_rows: list[tuple[object, ...]] = []
        self.new_holds: list[tuple[int, str, int, str, datetime | None]] = []

    # -- lines ---------------------------------------------------------------------------------
    def _line(self, account: AccountState, tx_id: int, kind: str, side: str | None,
              amount_fen: int, counterparty: str | None, request_no: str,
              business_type: str) -> None:
        # Plain strings, not enums, on this path: it runs twice per transfer.
        account.entry_seq += 1
        account.touched = True
        self.log_rows.append((
            self.tenant_id, account.account_no, account.entry_seq, tx_id, kind, side,
            amount_fen, account.balance_fen, account.frozen_fen,
            account.balance_fen - account.frozen_fen, counterparty, request_no, business_type,
            self._day, self._stamp,
        ))

    def _tx_row(self, tx_id: int, request_no: str, kind: str, business_type: str,
                digest: int, hold_id: int | None = None, reverses: int | None = None,
                memo: str = "") -> None:
        self.tx_rows.append((
            self.tenant_id, tx_id, request_no, kind, business_type, digest,
            self._day, self._stamp, hold_id, reverses, memo,
        ))

    # -- money ---------------------------------------------------------------------------------
    @staticmethod
    def _check_moves(moves: Sequence[tuple[AccountState, int]], *,
                     direction_exempt: bool) -> tuple[Reject | None, str]:
        """Status and direction per move; available on each account's net move."""
        for account, delta in moves:
            reject = (rules.check_can_receive(account, direction_exempt=direction_exempt)
                      if delta > 0 else rules.check_can_pay(account,
                                                            direction_exempt=direction_exempt))
            if reject:
                return reject, account.account_no
        net_fen: dict[str, int] = {}
        for account, delta in moves:
            net_fen[account.account_no] = net_fen.get(account.account_no, 0) + delta
        for account, _ in moves:
            decrease_fen = -net_fen[account.account_no]
            if decrease_fen > 0 and rules.check_available(account, decrease_fen):
                return Reject.EXCEEDS_AVAILABLE, (
                    f"{account.account_no} available_fen={account.available_fen}")
        return None, ""

    def _moves(self, postings: Sequence[Posting]) -> list[tuple[AccountState, int]] | str:
        """Each posting as (account, signed change of its balance); a missing account's no."""
        moves = []
        for posting in postings:
            account = self.state.accounts.get(posting.account_no)
            if account is None:
                return posting.account_no
            rises = posting.side is account.normal_side
            moves.append((account, posting.amount_fen if rises else -posting.amount_fen))
        return moves

    def transfer(self, cmd: Transfer, digest: int) -> Result:
        """The hot path: two legs, no Posting objects."""
        amount_fen = cmd.amount_fen
        reject = rules.check_amount(amount_fen)
        if reject:
            return Result(cmd.request_no, reject)
        debit_no, credit_no = cmd.debit_account_no, cmd.credit_account_no
        if debit_no == credit_no:
            return Result(cmd.request_no, Reject.ACCOUNTS_MUST_BE_DIFFERENT)
        debit = self.state.accounts.get(debit_no)
        credit = self.state.accounts.get(credit_no)
        if debit is None or credit is None:
            return Result(cmd.request_no, Reject.ACCOUNT_NOT_FOUND,
                          detail=debit_no if debit is None else credit_no)
        debit_delta = amount_fen if debit.normal_side is Side.DEBIT else -amount_fen
        credit_delta = amount_fen if credit.normal_side is Side.CREDIT else -amount_fen
        # _check_moves for two different accounts (each one's net move is its own), unrolled:
        # status and direction of each leg in order, then each falling leg's available.
        funding = cmd.funding
        for account, delta in ((debit, debit_delta), (credit, credit_delta)):
            reject = (rules.check_can_receive(account, direction_exempt=funding) if delta > 0
                      else rules.check_can_pay(account, direction_exempt=funding))
            if reject:
                return Result(cmd.request_no, reject, detail=account.account_no)
        for account, delta in ((debit, debit_delta), (credit, credit_delta)):
            if delta < 0 and rules.check_available(account, -delta):
                return Result(cmd.request_no, Reject.EXCEEDS_AVAILABLE, detail=(
                    f"{account.account_no} available_fen={account.available_fen}"))
        tx_id = self.next_tx_id()
        debit.balance_fen += debit_delta
        credit.balance_fen += credit_delta
        request_no, business_type = cmd.request_no, cmd.business_type
        self._line(debit, tx_id, _POSTING, _DEBIT, amount_fen, credit_no, request_no,
                   business_type)
        self._line(credit, tx_id, _POSTING, _CREDIT, amount_fen, debit_no, request_no,
                   business_type)
        self._tx_row(tx_id, request_no, _TRANSFER, business_type, digest, memo=cmd.memo)
        return Result(request_no, None, tx_id)

    def compound(self, cmd: CompoundTransfer, digest: int) -> Result:
        if len(cmd.postings) < 2:
            return Result(cmd.request_no, Reject.TOO_FEW_POSTINGS)
        if len(cmd.postings) > limits.postings_per_transaction_max:
            return Result(cmd.request_no, Reject.TOO_MANY_POSTINGS)
        signed_sum_fen = 0
        for posting in cmd.postings:
            reject = rules.check_amount(posting.amount_fen)
            if reject:
                return Result(cmd.request_no, reject)
            signed_sum_fen += (posting.amount_fen if posting.side is Side.DEBIT
                               else -posting.amount_fen)
        if signed_sum_fen != 0:
            return Result(cmd.request_no, Reject.UNBALANCED_TRANSACTION,
                          detail=f"debits_minus_credits_fen={signed_sum_fen}")
        if len({p.account_no for p in cmd.postings}) < 2:
            return Result(cmd.request_no, Reject.ACCOUNTS_MUST_BE_DIFFERENT)
        return self._money(cmd.request_no, TxKind.TRANSFER, cmd.postings, cmd.business_type,
                           digest, memo=cmd.memo, funding=cmd.funding)

    def _money(self, request_no: str, kind: TxKind, postings: Sequence[Posting],
               business_type: str, digest: int, *, memo: str = "",
               reverses: int | None = None, funding: bool = False) -> Result:
        # A reversal restores the state before the original, so direction flags do not apply.
        exempt = funding or reverses is not None
        moves = self._moves(postings)
        if isinstance(moves, str):
            return Result(request_no, Reject.ACCOUNT_NOT_FOUND, detail=moves)
        reject, detail = self._check_moves(moves, direction_exempt=exempt)
        if reject:
            return Result(request_no, reject, detail=detail)
        tx_id = self.next_tx_id()
        pair = len(postings) == 2
        for index, (posting, (account, delta)) in enumerate(zip(postings, moves, strict=True)):
            account.balance_fen += delta
            counterparty = postings[1 - index].account_no if pair else None
            self._line(account, tx_id, _POSTING, posting.side.value, posting.amount_fen,
                       counterparty, request_no, business_type)
        self._tx_row(tx_id, request_no, kind.value, business_type, digest, reverses=reverses,
                     memo=memo)
        return Result(request_no, None, tx_id)

    # -- holds ---------------------------------------------------------------------------------
    def freeze(self, cmd: Freeze, digest: int) -> Result:
        reject = rules.check_amount(cmd.amount_fen)
        account = self.state.accounts.get(cmd.account_no)
        if reject is None and account is None:
            reject = Reject.ACCOUNT_NOT_FOUND
        if reject is None and account is not None:
            reject = rules.check_can_pay(account) or rules.check_available(
                account, cmd.amount_fen)
        if reject or account is None:
            detail = f"available_fen={account.available_fen}" if account else ""
            return Result(cmd.request_no, reject, detail=detail)
        tx_id = self.next_tx_id()
        account.frozen_fen += cmd.amount_fen
        self._line(account, tx_id, _HOLD, None, cmd.amount_fen, None, cmd.request_no,
                   cmd.business_type)
        self._tx_row(tx_id, cmd.request_no, TxKind.FREEZE.value, cmd.business_type, digest,
                     hold_id=tx_id, memo=cmd.reason)
        self.state.holds[tx_id] = HoldState(tx_id, cmd.account_no, cmd.amount_fen,
                                            HoldStatus.OPEN, cmd.expires_at)
        self.new_holds.append((tx_id, cmd.account_no, cmd.amount_fen, cmd.reason,
                               cmd.expires_at))
        return Result(cmd.request_no, None, tx_id)

    def _open_hold(self, hold_id: int, *, for_expiry: bool = False
                   ) -> tuple[HoldState | None, Reject | None]:
        hold = self.state.holds.get(hold_id)
        if hold is None:
            return None, Reject.HOLD_NOT_FOUND
        if for_expiry:
            return hold, (None if hold.status is HoldStatus.OPEN else Reject.HOLD_NOT_OPEN)
        return hold, rules.check_hold_usable(hold, self.now)

    def _unhold(self, hold: HoldState, tx_id: int, status: HoldStatus, request_no: str,
                business_type: str) -> AccountState:
        account = self.state.accounts[hold.account_no]
        account.frozen_fen -= hold.amount_fen
        self._line(account, tx_id, _UNHOLD, None, hold.amount_fen, None, request_no,
                   business_type)
        hold.status = status
        hold.closed_tx_id = tx_id
        hold.touched = True
        return account

    def settle(self, cmd: Settle, digest: int) -> Result:
        hold, reject = self._open_hold(cmd.hold_id)
        if hold is None or reject:
            return Result(cmd.request_no, reject)
        payer = self.state.accounts[hold.account_no]
        reject = self._check_settle(cmd, hold, payer)
        if reject:
            return Result(cmd.request_no, reject)
        tx_id = self.next_tx_id()
        self._unhold(hold, tx_id, HoldStatus.SETTLED, cmd.request_no, cmd.business_type)
        total_fen = sum(p.amount_fen for p in cmd.payees)
        single = cmd.payees[0].account_no if len(cmd.payees) == 1 else None
        payer.balance_fen -= total_fen
        self._line(payer, tx_id, _POSTING, payer.normal_side.opposite.value, total_fen, single,
                   cmd.request_no, cmd.business_type)
        side = payer.normal_side  # the payer is posted on its opposite side, payees on this
        for payee in cmd.payees:
            account = self.state.accounts[payee.account_no]
            rises = account.normal_side is side
            account.balance_fen += payee.amount_fen if rises else -payee.amount_fen
            self._line(account, tx_id, _POSTING, side.value, payee.amount_fen,
                       payer.account_no, cmd.request_no, cmd.business_type)
        self._tx_row(tx_id, cmd.request_no, TxKind.SETTLE.value, cmd.business_type, digest,
                     hold_id=hold.hold_id)
        return Result(cmd.request_no, None, tx_id)

    def _check_settle(self, cmd: Settle, hold: HoldState, payer: AccountState) -> Reject | None:
        if not cmd.payees:
            return Reject.TOO_FEW_POSTINGS
        if len(cmd.payees) > limits.payees_per_settle_max:
            return Reject.TOO_MANY_POSTINGS
        reject = rules.check_can_pay(payer)
        if reject:
            return reject
        for payee in cmd.payees:
            reject = rules.check_amount(payee.amount_fen)
            if reject:
                return reject
            if payee.account_no == payer.account_no:
                return Reject.ACCOUNTS_MUST_BE_DIFFERENT
            account = self.state.accounts.get(payee.account_no)
            if account is None:
                return Reject.ACCOUNT_NOT_FOUND
            # A payee on the payer's side gains; on the other side (e.g. a debit-normal account
            # paid from a credit-normal one) the payment lowers it, so it must be able to pay.
            if account.normal_side is payer.normal_side:
                reject = rules.check_can_receive(account)
            else:
                reject = rules.check_can_pay(account) or rules.check_available(
                    account, payee.amount_fen)
            if reject:
                return reject
        if sum(p.amount_fen for p in cmd.payees) > hold.amount_fen:
            return Reject.SETTLE_EXCEEDS_HOLD
        return None

    def release(self, cmd: Release, digest: int) -> Result:
        hold, reject = self._open_hold(cmd.hold_id, for_expiry=cmd.expired)
        if hold is None or reject:
            return Result(cmd.request_no, reject)
        tx_id = self.next_tx_id()
        status = HoldStatus.EXPIRED if cmd.expired else HoldStatus.RELEASED
        self._unhold(hold, tx_id, status, cmd.request_no, cmd.business_type)
        self._tx_row(tx_id, cmd.request_no, TxKind.RELEASE.value, cmd.business_type, digest,
                     hold_id=hold.hold_id, memo=cmd.reason)
        return Result(cmd.request_no, None, tx_id)

    def reverse(self, cmd: Reverse, digest: int) -> Result:
        original = self.state.originals.get(cmd.original_tx_id)
        if original is None:
            return Result(cmd.request_no, Reject.TRANSACTION_NOT_FOUND)
        if original.kind not in MONEY_KINDS or original.kind is TxKind.REVERSAL:
            return Result(cmd.request_no, Reject.TRANSACTION_NOT_REVERSIBLE)
        if original.reversed:
            return Result(cmd.request_no, Reject.ALREADY_REVERSED)
        postings = [Posting(p.account_no, p.side.opposite, p.amount_fen)
                    for p in original.postings]
        result = self._money(cmd.request_no, TxKind.REVERSAL, postings, cmd.business_type,
                             digest, memo=cmd.reason, reverses=cmd.original_tx_id)
        if result.ok:
            original.reversed = True
        return result

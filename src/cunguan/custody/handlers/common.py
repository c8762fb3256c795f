"""The steps several custody use cases share: the password step, cards (checked, bound, found)
and the user's ledger account. Each use-case mixin inherits ``CustodyCommon``."""

from collections.abc import Callable
from typing import Any

from cunguan.core.errors import RuleError
from cunguan.custody.cards import BinTable, CardError, normalize_card_no, validate_card_no
from cunguan.custody.handlers.base import CustodyBase, CustodyResult
from cunguan.custody.handlers.commands import (
    BepsRail,
    CardRequest,
    CustodyPolicy,
    ReservedPhones,
)
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import kyc
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import cards as card_rows
from cunguan.custody.store import platforms
from cunguan.db.connection import Connection
from cunguan.ledger.model import Account
from cunguan.ledger.store.queries import get_account

#: Banks whose cards may recharge by quick pay (R-C6); others open but recharge offline.
QUICK_PAY_BANKS = frozenset({"ICBC", "ABC", "BOC", "CCB", "COMM", "CMB", "CIB", "SPDB",
                             "CMBC", "CEB", "CITIC", "HXBANK", "PSBC", "GDB", "SPABANK"})


def need_card(cards: dict[str, Any], user_id: str, card_no: str) -> Any:
    """The user's bound card from a set-based read (same card in, same card out: R-C5)."""
    row = cards.get(card_no)
    if row is None or row.user_id != user_id:
        raise CustodyError(Refusal.CARD_NOT_BOUND, "same card in, same card out: use a bound card")
    return row


def refused_early(request_no: str, exc: RuleError) -> CustodyResult:
    """A field malformed before anything is read: answered, not recorded (the user corrects
    it on the same page under the same serial no.)."""
    return CustodyResult(request_no, False, exc.code, str(exc))


class CustodyCommon(CustodyBase):
    #: Set by the composed service's ``__init__``.
    policy: CustodyPolicy
    bins: BinTable
    #: R-A1: where the reserved mobile of a card comes from; none wired by default, so a
    #: platform with strict matching set needs one (or the caller's ``reserved_mobile``).
    reserved_phones: ReservedPhones | None = None
    #: BEPS as a payout rail (the clearing service); none wired: no payout goes by BEPS.
    beps: BepsRail | None = None

    def _password_step(self, tenant_id: str, user_id: str,
                       password: str | None) -> bool | CustodyResult:
        """True when a password was given and is right; a result when it is wrong or locked."""
        if password is None:
            return False
        try:
            self.verify_password(tenant_id, user_id, password)
        except CustodyError as exc:
            return CustodyResult("", False, exc.code, exc.message)
        return True

    def _card_command(self, run_many: Callable[[str, list[CardRequest]], list[CustodyResult]],
                      tenant_id: str, request_no: str, user_id: str, card_no: str,
                      amount_fen: int, password: str | None, *,
                      urgent: bool = False) -> CustodyResult:
        """A single money-in or money-out request: its password checked first when one was
        given (a wrong or locked one answered at once), then its set-based call of one."""
        checked = self._password_step(tenant_id, user_id, password)
        if isinstance(checked, CustodyResult):
            return CustodyResult(request_no, False, checked.code, checked.message)
        return run_many(tenant_id, [CardRequest(request_no, user_id, card_no, amount_fen,
                                                checked, urgent)])[0]

    def _card(self, card_no: str) -> Any:
        try:
            return validate_card_no(card_no, self.bins)
        except CardError as exc:
            raise CustodyError(exc.code, str(exc)) from exc

    def _reserved(self, card_no: str, given: str | None) -> str | None:
        """The mobile reserved for the card at its bank: as the caller says, else as the
        card-verification service answers."""
        if given is not None or self.reserved_phones is None:
            return given
        return self.reserved_phones(card_no)

    @staticmethod
    def strict_reserved_phone(conn: Connection, tenant_id: str) -> bool:
        """R-A1: the platform's setting: must a card's reserved mobile match the account's?"""
        return platforms.strict_reserved_phone(conn, tenant_id)

    def _need_reserved_match(self, conn: Connection, tenant_id: str, mobile: str,
                             card_no: str) -> None:
        """R-A1 at card binding: with strict matching set, the new card's reserved mobile
        must be the account's."""
        if not self.strict_reserved_phone(conn, tenant_id):
            return
        try:
            kyc.check_mobile_match(mobile, self._reserved(card_no, None))
        except kyc.KycError as exc:
            raise CustodyError(exc.code, str(exc)) from exc

    def _insert_card(self, conn: Connection, tenant_id: str, user_id: str, card_no: str,
                     card: Any) -> None:
        row = card_rows.holder(conn, tenant_id, card_no)
        if row is not None and row[1] == "bound":
            raise CustodyError(Refusal.CARD_BOUND_ELSEWHERE,
                               "this card is bound to another account")
        values = self._card_values(user_id, card)
        if row is None:
            card_rows.insert_card(conn, tenant_id, card_no, values)
        else:
            card_rows.update_card(conn, tenant_id, card_no, values)

    def _card_values(self, user_id: str, card: Any) -> dict[str, Any]:
        """A card's row as bound to ``user_id`` now (its bank as the card no. tells)."""
        return {"user_id": user_id, "bank_code": card.bank_code, "bank_name": card.bank_name,
                "quick_pay": int(card.bank_code in QUICK_PAY_BANKS), "status": "bound",
                "bound_at": self.clock(), "unbound_at": None}

    def bound_card(self, conn: Connection, tenant_id: str, user_id: str,
                   card_no: str) -> Any:
        try:
            card_no = normalize_card_no(card_no)
        except CardError as exc:
            raise CustodyError(Refusal.CARD_NOT_BOUND, "same card in, same card out: use a bound "
                               "card") from exc
        row = card_rows.bound_card(conn, tenant_id, user_id, card_no)
        if row is None:
            raise CustodyError(Refusal.CARD_NOT_BOUND,
                               "same card in, same card out: use a bound card")
        return row

    def ledger_account(self, conn: Connection, tenant_id: str, user_id: str) -> Account:
        account = get_account(conn, tenant_id, chart.user_account_no(user_id))
        if account is None:
            raise CustodyError(Refusal.USER_NOT_FOUND, f"no account for user {user_id}")
        return account

"""Cards (R-C5, R-C6, R-A1): bound (normalized: one card, one account), unbound at a zero
balance without open claims, or replaced in one step with money on the account."""

from cunguan.custody.cards import CardError, normalize_card_no
from cunguan.custody.handlers.base import CustodyResult, Data, checked
from cunguan.custody.handlers.common import QUICK_PAY_BANKS, CustodyCommon, refused_early
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import cards as card_rows
from cunguan.custody.store import users as user_rows
from cunguan.db.connection import Connection


class Cards(CustodyCommon):
    @checked(**custody_fields.AS_TYPED)
    def bind_card(self, tenant_id: str, request_no: str, user_id: str,
                  card_no: str) -> CustodyResult:
        """Bind a debit card (stored normalized: one card, one account), its reserved mobile
        matching where the platform sets it (R-A1)."""
        try:
            card_no = normalize_card_no(card_no)
        except CardError as exc:
            return refused_early(request_no, exc)

        def work(conn: Connection) -> Data:
            user = self.active_user(conn, tenant_id, user_id)
            card = self._card(card_no)
            self._need_reserved_match(conn, tenant_id, user.mobile, card_no)
            self._insert_card(conn, tenant_id, user_id, card_no, card)
            return {"card_no": card_no, "bank": card.bank_name,
                    "quick_pay": card.bank_code in QUICK_PAY_BANKS}
        return self.command(tenant_id, request_no, "bind_card",
                            {"user": user_id, "card": card_no}, work)

    @checked(**custody_fields.AS_TYPED)
    def unbind_card(self, tenant_id: str, request_no: str, user_id: str,
                    card_no: str) -> CustodyResult:
        """Unbinding needs a zero balance and no open claims (R-C5)."""
        try:
            card_no = normalize_card_no(card_no)
        except CardError as exc:
            return refused_early(request_no, exc)

        def work(conn: Connection) -> Data:
            self._check_may_unbind(conn, tenant_id, user_id)
            self._unbind(conn, tenant_id, user_id, card_no)
            return {"card_no": card_no, "status": "unbound"}
        return self.command(tenant_id, request_no, "unbind_card",
                            {"user": user_id, "card": card_no}, work)

    @checked(**custody_fields.AS_TYPED)
    def replace_card(self, tenant_id: str, request_no: str, user_id: str, old_card_no: str,
                     new_card_no: str) -> CustodyResult:
        """Unbind + bind as one operation: allowed with money on the account (R-C5)."""
        try:
            old_card_no, new_card_no = (normalize_card_no(old_card_no),
                                        normalize_card_no(new_card_no))
        except CardError as exc:
            return refused_early(request_no, exc)

        def work(conn: Connection) -> Data:
            user = self.active_user(conn, tenant_id, user_id)
            card = self._card(new_card_no)
            self._need_reserved_match(conn, tenant_id, user.mobile, new_card_no)
            self._unbind(conn, tenant_id, user_id, old_card_no)
            self._insert_card(conn, tenant_id, user_id, new_card_no, card)
            return {"card_no": new_card_no, "replaced": old_card_no}
        return self.command(tenant_id, request_no, "replace_card",
                            {"user": user_id, "old": old_card_no, "new": new_card_no}, work)

    def _check_may_unbind(self, conn: Connection, tenant_id: str, user_id: str) -> None:
        account = self.ledger_account(conn, tenant_id, user_id)
        if account.balance_fen or account.frozen_fen:
            raise CustodyError(Refusal.BALANCE_NOT_ZERO, "a card is unbound only at zero balance")
        if user_rows.open_claims(conn, tenant_id, user_id):
            raise CustodyError(Refusal.CLAIMS_OPEN, "a card is unbound only without open claims")

    def _unbind(self, conn: Connection, tenant_id: str, user_id: str, card_no: str) -> None:
        if not card_rows.unbind(conn, tenant_id, user_id, card_no, self.clock()):
            raise CustodyError(Refusal.CARD_NOT_BOUND, "the user has no such bound card")

"""Custody handlers (资金存管): platforms, users, cards, authorizations, money in and out.

Each handler is a short script: check with the pure rules of ``cunguan.custody``, post through
the ledger, write the custody rows — all in the one transaction ``command`` opens.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import CST, Clock, system_clock
from cunguan.core.errors import CunguanError, RuleError
from cunguan.core.money import apply_rate
from cunguan.custody.cards import BinTable, CardError, normalize_card_no, validate_card_no
from cunguan.custody.handlers.base import (
    CustodyBase,
    CustodyResult,
    Data,
    Gate,
    Planned,
    attempt,
    checked,
    checked_each,
    need_active,
    only,
    set_based,
)
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules import kyc, passwords, withdrawals
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import lookups
from cunguan.custody.store.tables import (
    custody_authorizations,
    custody_cards,
    custody_claims,
    custody_platforms,
    custody_recharges,
    custody_users,
    custody_withdrawals,
)
from cunguan.db.bulk import insert_rows
from cunguan.db.connection import read_connection
from cunguan.ledger import rules
from cunguan.ledger.model import (
    Account,
    Command,
    Freeze,
    Payee,
    Release,
    Result,
    Reverse,
    Settle,
    Transfer,
)
from cunguan.ledger.service import LedgerService
from cunguan.ledger.store.queries import get_account

#: Banks whose cards may recharge by quick pay (R-C6); others open but recharge offline.
QUICK_PAY_BANKS = frozenset({"ICBC", "ABC", "BOC", "CCB", "COMM", "CMB", "CIB", "SPDB",
                             "CMBC", "CEB", "CITIC", "HXBANK", "PSBC", "GDB", "SPABANK"})
AUTHORIZATION_KINDS = custody_fields.AUTHORIZATION_KINDS
_BOUND_CARD = select(custody_cards).where(
    custody_cards.c.tenant_id == bindparam("tenant_id"),
    custody_cards.c.card_no == bindparam("card_no"),
    custody_cards.c.user_id == bindparam("user_id"), custody_cards.c.status == "bound")


@dataclass(frozen=True, slots=True)
class CardRequest:
    """Money between a user's account and a bound card — a quick-pay recharge (R-C7) or a
    withdrawal (R-C15..R-C17) — as the set-based calls take it."""

    request_no: str
    user_id: str
    card_no: str
    amount_fen: int
    password_checked: bool = False

    def content(self) -> Data:
        """What the request log compares a replay with (as the single form records it)."""
        return {"user": self.user_id, "card": self.card_no, "amount": self.amount_fen}


@dataclass(frozen=True, slots=True)
class RedPacket:
    """A cash red packet (R-C18) as the set-based call takes it."""

    request_no: str
    user_id: str
    amount_fen: int

    def fields(self) -> tuple[str, str, int]:
        return self.request_no, self.user_id, self.amount_fen


def _red_packet(packet: tuple[Any, ...]) -> RedPacket:
    """A (request no., user, amount) tuple as a record; one of another length has its missing
    fields None (refused by name)."""
    values = (*packet, None, None, None)[:3] if len(packet) <= 3 else (*packet[:2], None)
    return RedPacket(*values)


@dataclass(frozen=True, slots=True)
class ChannelAnswer:
    """The payment channel's answer to a withdrawal in flight, as the set-based call takes it."""

    request_no: str
    withdrawal_no: str
    succeeded: bool

    def content(self) -> Data:
        return {"withdrawal": self.withdrawal_no, "succeeded": self.succeeded}


def need_card(cards: dict[str, Any], user_id: str, card_no: str) -> Any:
    """The user's bound card from a set-based read (same card in, same card out: R-C5)."""
    row = cards.get(card_no)
    if row is None or row.user_id != user_id:
        raise CustodyError(Refusal.CARD_NOT_BOUND, "same card in, same card out: use a bound card")
    return row


@dataclass(frozen=True, slots=True)
class CustodyPolicy:
    quick_pay_fee_rate: str = "0.0015"
    quick_pay_fee_payer: str = "platform"       # or "user"
    withdrawal_review: bool = False
    fees: withdrawals.FeePolicy = field(default_factory=withdrawals.FeePolicy)
    routing: withdrawals.RoutingPolicy = field(default_factory=withdrawals.RoutingPolicy)
    password_lock: timedelta = passwords.LOCK_DEFAULT
    #: Who advances a T+0 payout of money the channel has not settled yet (垫资): "bank",
    #: "platform", or None (such a payout waits for the channel's settlement).
    advance_funder: str | None = "bank"
    #: R-C2 custody fee (存管费) of a platform onboarded under this policy: a fixed amount a
    #: month and an annual rate on its average daily custody balance (service_layer/
    #: platform_fees.py); each platform's own terms are kept on its row and may differ.
    custody_fee_monthly_fen: int = 0
    custody_fee_annual_rate: str = "0"


#: R-A1: the mobile reserved at a card's issuing bank, as the bank's card-verification service
#: answers it (None: not known), by card no.
ReservedPhones = Callable[[str], str | None]


def _refused_early(request_no: str, exc: RuleError) -> CustodyResult:
    """A field malformed before anything is read: answered, not recorded (the user corrects
    it on the same page under the same serial no.)."""
    return CustodyResult(request_no, False, exc.code, str(exc))


class CustodyService(CustodyBase):
    #: R-A1: where the reserved mobile of a card comes from; none wired by default, so a
    #: platform with strict matching set needs one (or the caller's ``reserved_mobile``).
    reserved_phones: ReservedPhones | None = None

    def __init__(self, engine: Engine, ledger: LedgerService, *, clock: Clock = system_clock,
                 calendar: WorkingCalendar | None = None, bins: BinTable | None = None,
                 policy: CustodyPolicy | None = None) -> None:
        super().__init__(engine, ledger, clock=clock, calendar=calendar or ledger.calendar)
        self.bins = bins or BinTable.shipped()
        self.policy = policy or CustodyPolicy()
        self.password_lock = self.policy.password_lock

    # -- platforms (R-C1, R-C2) ------------------------------------------------------------
    def onboard_platform(self, tenant_id: str, name: str, accounting_date: date) -> None:
        """Open a platform: its tenant, summary account and platform accounts (operator). A
        malformed id, name or date is refused ``field_invalid`` naming it, before anything is
        written; the name is stored as ``fields.text`` normalizes it."""
        tenant_id, name, accounting_date = rules.tenant_fields(tenant_id, name, accounting_date)
        self.ledger.create_tenant(tenant_id, name, accounting_date)
        self.ledger.open_accounts(tenant_id, chart.platform_chart(tenant_id))
        with self.engine.begin() as conn:
            conn.execute(insert(custody_platforms).values(
                tenant_id=tenant_id, name=name,
                quick_pay_fee_rate=self.policy.quick_pay_fee_rate,
                quick_pay_fee_payer=self.policy.quick_pay_fee_payer,
                withdrawal_review=int(self.policy.withdrawal_review), created_at=self.clock(),
                strict_reserved_phone=0,
                custody_fee_monthly_fen=self.policy.custody_fee_monthly_fen,
                custody_fee_annual_rate=self.policy.custody_fee_annual_rate))

    @checked()
    def fund_platform(self, tenant_id: str, request_no: str, account_no: str,
                      amount_fen: int) -> CustodyResult:
        """The platform pays its own money into the summary account for one of its accounts
        (own, marketing, risk reserve, interest distribution)."""
        if account_no not in (chart.OWN, chart.MARKETING, chart.RISK_RESERVE, chart.INTEREST):
            return CustodyResult(request_no, False, Refusal.ACCOUNT_NOT_FUNDABLE, account_no)

        def work(conn: Connection) -> Data:
            result = self.post(conn, tenant_id, [Transfer(
                request_no, chart.SUMMARY, account_no, amount_fen, "platform_funding",
                funding=True)])[0]
            return {"tx_id": result.tx_id}
        return self.command(tenant_id, request_no, "fund_platform",
                            {"account": account_no, "amount": amount_fen}, work)

    # -- users (R-C3, R-C4, R-A1) ----------------------------------------------------------
    @checked(kind=custody_fields.word(frozenset({"person", "company"})),
             password=custody_fields.FIELD_TYPES["new_password"], **custody_fields.AS_TYPED)
    def open_user(self, tenant_id: str, request_no: str, *, user_id: str, role: str,
                  name: str, id_kind: kyc.IdKind, id_no: str, mobile: str, card_no: str,
                  password: str, kind: str = "person", risk_tolerance: int = 3,
                  reserved_mobile: str | None = None,
                  strict_mobile_match: bool = False) -> CustodyResult:
        """Open a user's custody account on the bank's page (four elements and password).

        Name, ID no., mobile and card no. are normalized first (R-C4): what is checked is
        what is stored and compared, so one person, mobile or card is one key. Strict
        reserved-mobile matching (R-A1) applies when asked here or set for the platform."""
        if role not in ("lender", "borrower", "guarantor") or kind not in ("person", "company"):
            return CustodyResult(request_no, False, Refusal.FIELD_INVALID, "unknown role or kind")
        try:
            name, id_no = kyc.normalize_name(name), kyc.normalize_id_no(id_no)
            mobile = (kyc.normalize_contact_phone(mobile) if kind == "company"
                      else kyc.normalize_mobile(mobile))
            card_no = normalize_card_no(card_no)
            if reserved_mobile is not None:
                reserved_mobile = kyc.normalize_mobile(reserved_mobile)
            password_hash = passwords.hash_password(password)
        except RuleError as exc:
            return _refused_early(request_no, exc)
        content = {"user": user_id, "role": role, "name": name, "id_kind": id_kind,
                   "id_no": id_no, "mobile": mobile, "card": card_no, "kind": kind}

        def work(conn: Connection) -> Data:
            day = self.accounting_date(conn, tenant_id)
            strict = strict_mobile_match or self.strict_reserved_phone(conn, tenant_id)
            identity = self._identity(name, id_kind, id_no, mobile, day, kind,
                                      self._reserved(card_no, reserved_mobile), strict)
            card = self._card(card_no)
            if kind == "company":
                status = "pending_approval"
            else:
                status = "pending_review" if identity.needs_review else "active"
            self._insert_user(conn, tenant_id, user_id, role, kind, status, identity,
                              password_hash, risk_tolerance)
            self._insert_card(conn, tenant_id, user_id, card_no, card)
            self.ledger.open_accounts_in(conn, tenant_id, [chart.user_account(user_id, role)])
            return {"user_id": user_id, "status": status,
                    "account_no": chart.user_account_no(user_id), "bank": card.bank_name,
                    "quick_pay": card.bank_code in QUICK_PAY_BANKS}
        return self.command(tenant_id, request_no, "open_user", content, work)

    @staticmethod
    def _identity(name: str, id_kind: kyc.IdKind, id_no: str, mobile: str, day: date,
                  kind: str, reserved_mobile: str | None, strict: bool) -> kyc.Identity:
        if kind == "company":
            return kyc.Identity(name.strip(), kyc.IdKind.BUSINESS_LICENCE, id_no.strip(), mobile,
                                None, needs_review=True)
        try:
            return kyc.check_identity(name, id_kind, id_no, mobile, on=day,
                                      reserved_mobile=reserved_mobile,
                                      strict_mobile_match=strict)
        except kyc.KycError as exc:
            raise CustodyError(exc.code, str(exc)) from exc

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
        p = custody_platforms.c
        return bool(conn.execute(select(p.strict_reserved_phone).where(
            p.tenant_id == tenant_id)).scalar())

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

    def _insert_user(self, conn: Connection, tenant_id: str, user_id: str, role: str,
                     kind: str, status: str, identity: kyc.Identity, password_hash: str,
                     risk_tolerance: int) -> None:
        u = custody_users.c
        taken = conn.execute(select(u.user_id).where(
            u.tenant_id == tenant_id, u.id_kind == identity.id_kind.value,
            u.id_no == identity.id_no)).first()
        if taken is not None:
            raise CustodyError(Refusal.PERSON_HAS_ACCOUNT, "one person, one account per platform",
                               user_id=taken[0])
        if conn.execute(select(u.user_id).where(u.tenant_id == tenant_id,
                                                u.mobile == identity.mobile)).first():
            # R-C4: name, ID no. and mobile are each one person's on a platform.
            raise CustodyError(Refusal.MOBILE_TAKEN, "this mobile no. belongs to another account "
                               "on the platform")
        if conn.execute(select(u.user_id).where(u.tenant_id == tenant_id,
                                                u.user_id == user_id)).first():
            raise CustodyError(Refusal.USER_EXISTS, f"user {user_id} exists already")
        conn.execute(insert(custody_users).values(
            tenant_id=tenant_id, user_id=user_id, kind=kind, role=role, status=status,
            name=identity.name, id_kind=identity.id_kind.value, id_no=identity.id_no,
            mobile=identity.mobile, account_no=chart.user_account_no(user_id),
            password_hash=password_hash, failed_attempts=0, locked_until=None,
            risk_tolerance=risk_tolerance, has_bid=0, created_at=self.clock()))

    def _insert_card(self, conn: Connection, tenant_id: str, user_id: str, card_no: str,
                     card: Any) -> None:
        c = custody_cards.c
        row = conn.execute(select(c.user_id, c.status).where(
            c.tenant_id == tenant_id, c.card_no == card_no)).first()
        if row is not None and row[1] == "bound":
            raise CustodyError(Refusal.CARD_BOUND_ELSEWHERE,
                               "this card is bound to another account")
        values = {"user_id": user_id, "bank_code": card.bank_code, "bank_name": card.bank_name,
                  "quick_pay": int(card.bank_code in QUICK_PAY_BANKS), "status": "bound",
                  "bound_at": self.clock(), "unbound_at": None}
        if row is None:
            conn.execute(insert(custody_cards).values(tenant_id=tenant_id, card_no=card_no,
                                                      **values))
        else:
            conn.execute(update(custody_cards).where(
                c.tenant_id == tenant_id, c.card_no == card_no).values(**values))

    @checked()
    def approve_user(self, tenant_id: str, request_no: str, user_id: str) -> CustodyResult:
        """An operator approves a company after document review, or a passport/permit holder
        after manual review (R-C3, R-C4)."""
        def work(conn: Connection) -> Data:
            row = self.user(conn, tenant_id, user_id)
            if row.status not in ("pending_approval", "pending_review"):
                raise CustodyError(Refusal.USER_NOT_PENDING, f"user {user_id} is {row.status}")
            # A migrated user still sets a password (and maybe a card) at activation.
            status = "active" if row.password_hash else "pending_activation"
            conn.execute(update(custody_users).where(
                custody_users.c.tenant_id == tenant_id, custody_users.c.user_id == user_id,
            ).values(status=status))
            return {"user_id": user_id, "status": status}
        return self.command(tenant_id, request_no, "approve_user", {"user": user_id}, work)

    @checked(**custody_fields.AS_TYPED)
    def reset_password(self, tenant_id: str, request_no: str, user_id: str, *, id_no: str,
                       mobile: str, card_no: str, new_password: str) -> CustodyResult:
        """Forgotten password, on the bank's page: the ID no., mobile and a bound card must
        match what the bank holds; the new password also lifts any lock."""
        try:
            password_hash = passwords.hash_password(new_password)
            # Compared as stored (R-C4); a malformed one cannot match, and says so.
            id_no, card_no = kyc.normalize_id_no(id_no), normalize_card_no(card_no)
            mobile = kyc.normalize_mobile(mobile)
        except passwords.PasswordError as exc:
            return CustodyResult(request_no, False, exc.code, str(exc))
        except RuleError:
            return CustodyResult(request_no, False, Refusal.IDENTITY_MISMATCH,
                                 "the ID no., mobile or card does not match the account")

        def matches(conn: Connection, *, lock: bool) -> bool:
            row = self.user(conn, tenant_id, user_id, lock=lock)
            card = conn.execute(select(custody_cards.c.card_no).where(
                custody_cards.c.tenant_id == tenant_id, custody_cards.c.card_no == card_no,
                custody_cards.c.user_id == user_id, custody_cards.c.status == "bound")).first()
            return row.id_no == id_no and row.mobile == mobile and bool(card)

        # A wrong guess is answered but not recorded, like a wrong password: the user corrects
        # it on the same page under the same serial no.
        with read_connection(self.engine) as conn:
            try:
                guessed_right = matches(conn, lock=False)
            except CustodyError:   # an unknown user: the command itself answers that
                guessed_right = True
        if not guessed_right:
            return CustodyResult(request_no, False, Refusal.IDENTITY_MISMATCH,
                                 "the ID no., mobile or card does not match the account")

        def work(conn: Connection) -> Data:
            if not matches(conn, lock=True):
                raise CustodyError(Refusal.IDENTITY_MISMATCH,
                                   "the ID no., mobile or card does not match the account")
            conn.execute(update(custody_users).where(
                custody_users.c.tenant_id == tenant_id, custody_users.c.user_id == user_id,
            ).values(password_hash=password_hash, failed_attempts=0, locked_until=None))
            return {"user_id": user_id, "password": "reset"}
        return self.command(tenant_id, request_no, "reset_password",
                            {"user": user_id, "card": card_no}, work)

    @checked(card_no=custody_fields.optional_typed_text,
             password=custody_fields.FIELD_TYPES["new_password"])
    def activate_user(self, tenant_id: str, request_no: str, user_id: str, password: str,
                      card_no: str | None = None) -> CustodyResult:
        """A migrated user sets the transaction password on the bank page and, when the old
        card could not be used, binds a new one (R-C20)."""
        try:
            password_hash = passwords.hash_password(password)
            card_no = None if card_no is None else normalize_card_no(card_no)
        except RuleError as exc:
            return _refused_early(request_no, exc)

        def work(conn: Connection) -> Data:
            row = self.user(conn, tenant_id, user_id)
            if row.status != "pending_activation":
                raise CustodyError(Refusal.USER_NOT_PENDING, f"user {user_id} is {row.status}")
            if card_no is not None:
                card = self._card(card_no)
                self._need_reserved_match(conn, tenant_id, row.mobile, card_no)
                self._insert_card(conn, tenant_id, user_id, card_no, card)
            c = custody_cards.c
            if conn.execute(select(c.card_no).where(
                    c.tenant_id == tenant_id, c.user_id == user_id,
                    c.status == "bound")).first() is None:
                raise CustodyError(Refusal.CARD_REQUIRED, "bind a usable debit card to activate")
            conn.execute(update(custody_users).where(
                custody_users.c.tenant_id == tenant_id, custody_users.c.user_id == user_id,
            ).values(status="active", password_hash=password_hash))
            return {"user_id": user_id, "status": "active"}
        return self.command(tenant_id, request_no, "activate_user",
                            {"user": user_id, "card": card_no}, work)

    # -- cards (R-C5, R-C6) ----------------------------------------------------------------
    @checked(**custody_fields.AS_TYPED)
    def bind_card(self, tenant_id: str, request_no: str, user_id: str,
                  card_no: str) -> CustodyResult:
        """Bind a debit card (stored normalized: one card, one account), its reserved mobile
        matching where the platform sets it (R-A1)."""
        try:
            card_no = normalize_card_no(card_no)
        except CardError as exc:
            return _refused_early(request_no, exc)

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
            return _refused_early(request_no, exc)

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
            return _refused_early(request_no, exc)

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
        k = custody_claims.c
        open_claims = conn.execute(select(func.count()).where(
            k.tenant_id == tenant_id, k.holder_user_id == user_id,
            k.status.in_(("holding", "listed")))).scalar_one()
        if open_claims:
            raise CustodyError(Refusal.CLAIMS_OPEN, "a card is unbound only without open claims")

    def _unbind(self, conn: Connection, tenant_id: str, user_id: str, card_no: str) -> None:
        c = custody_cards.c
        done = conn.execute(update(custody_cards).where(
            c.tenant_id == tenant_id, c.card_no == card_no, c.user_id == user_id,
            c.status == "bound").values(status="unbound", unbound_at=self.clock()))
        if done.rowcount != 1:
            raise CustodyError(Refusal.CARD_NOT_BOUND, "the user has no such bound card")

    def bound_card(self, conn: Connection, tenant_id: str, user_id: str,
                   card_no: str) -> Any:
        try:
            card_no = normalize_card_no(card_no)
        except CardError as exc:
            raise CustodyError(Refusal.CARD_NOT_BOUND, "same card in, same card out: use a bound "
                               "card") from exc
        row = conn.execute(_BOUND_CARD, {"tenant_id": tenant_id, "card_no": card_no,
                                         "user_id": user_id}).first()
        if row is None:
            raise CustodyError(Refusal.CARD_NOT_BOUND,
                               "same card in, same card out: use a bound card")
        return row

    def ledger_account(self, conn: Connection, tenant_id: str, user_id: str) -> Account:
        account = get_account(conn, tenant_id, chart.user_account_no(user_id))
        if account is None:
            raise CustodyError(Refusal.USER_NOT_FOUND, f"no account for user {user_id}")
        return account

    # -- standing authorizations (免密授权) -------------------------------------------------
    @checked(password=custody_fields.FIELD_TYPES["new_password"])
    def authorize(self, tenant_id: str, request_no: str, user_id: str, kinds: tuple[str, ...],
                  max_amount_fen: int, expires_at: datetime, password: str) -> CustodyResult:
        """Standing authorizations (免密授权) of one or more kinds, under one password entry."""
        try:
            self.verify_password(tenant_id, user_id, password)
        except CustodyError as exc:
            return CustodyResult(request_no, False, exc.code, exc.message)

        def work(conn: Connection) -> Data:
            self.active_user(conn, tenant_id, user_id)
            a = custody_authorizations.c
            conn.execute(custody_authorizations.delete().where(
                a.tenant_id == tenant_id, a.user_id == user_id, a.kind.in_(kinds)))
            conn.execute(insert(custody_authorizations), [{
                "tenant_id": tenant_id, "user_id": user_id, "kind": kind,
                "max_amount_fen": max_amount_fen, "expires_at": expires_at,
                "status": "active"} for kind in sorted(set(kinds))])
            return {"kinds": sorted(set(kinds)), "max_amount_fen": max_amount_fen,
                    "expires_at": expires_at.isoformat()}
        return self.command(tenant_id, request_no, "authorize",
                            {"user": user_id, "kinds": sorted(set(kinds)),
                             "max": max_amount_fen, "expires_at": expires_at.isoformat()}, work)

    @checked(kind=custody_fields.word(custody_fields.AUTHORIZATION_KINDS))
    def revoke_authorization(self, tenant_id: str, request_no: str, user_id: str,
                             kind: str) -> CustodyResult:
        def work(conn: Connection) -> Data:
            a = custody_authorizations.c
            done = conn.execute(update(custody_authorizations).where(
                a.tenant_id == tenant_id, a.user_id == user_id, a.kind == kind,
                a.status == "active").values(status="revoked"))
            if done.rowcount != 1:
                raise CustodyError(Refusal.AUTHORIZATION_NOT_FOUND,
                                   f"no active {kind} authorization")
            return {"kind": kind, "status": "revoked"}
        return self.command(tenant_id, request_no, "revoke_authorization",
                            {"user": user_id, "kind": kind}, work)

    # -- money in (R-C7) -------------------------------------------------------------------
    @checked()
    def recharge(self, tenant_id: str, request_no: str, user_id: str, card_no: str,
                 amount_fen: int, password: str | None = None) -> CustodyResult:
        """Quick-pay recharge: available at once; the channel settles T+1 less its fee."""
        checked = self._password_step(tenant_id, user_id, password)
        if isinstance(checked, CustodyResult):
            return CustodyResult(request_no, False, checked.code, checked.message)
        request = CardRequest(request_no, user_id, card_no, amount_fen, checked)
        return self.command(tenant_id, request_no, "recharge", request.content(),
                            lambda conn: only(self._recharge(conn, tenant_id, [request])[0]))

    @set_based(CardRequest)
    def recharges(self, tenant_id: str, requests: Sequence["CardRequest"],
                  gate: Gate | None = None) -> list[CustodyResult]:
        """Many quick-pay recharges in one DB transaction, set-based; each answers as
        ``recharge`` would (under standing authorizations: no passwords here)."""
        requests, invalid = checked_each(requests)
        return self.commands_many(
            tenant_id, "recharge", [(r.request_no, r.content()) for r in requests],
            lambda conn, new: self._recharge(conn, tenant_id, [requests[i] for i in new]),
            gate, invalid)

    def _recharge(self, conn: Connection, tenant_id: str,
                  requests: Sequence["CardRequest"]) -> list[Data | CunguanError]:
        """Each recharge: transit → user, and its channel fee payer → transit, as one chain."""
        user_ids = {r.user_id for r in requests}
        users = lookups.users(conn, tenant_id, user_ids)
        cards = lookups.bound_cards(conn, tenant_id, {r.card_no for r in requests})
        grants = lookups.authorizations(conn, tenant_id, "recharge", user_ids)
        settle_on = self.calendar.next_working_day(self.accounting_date(conn, tenant_id))
        rows: list[Data] = []

        def plan(r: CardRequest) -> Planned:
            need_active(users, r.user_id)
            card = need_card(cards, r.user_id, r.card_no)
            if not card.quick_pay:
                raise CustodyError(Refusal.BANK_NOT_SUPPORTED,
                                   f"{card.bank_name} cards cannot recharge by quick pay")
            self.need_consent(grants, r.user_id, "recharge", r.amount_fen, r.password_checked)
            fee_fen = apply_rate(r.amount_fen, self.policy.quick_pay_fee_rate)
            account_no = chart.user_account_no(r.user_id)
            commands: list[Command] = [Transfer(r.request_no, chart.CHANNEL_TRANSIT, account_no,
                                                r.amount_fen, "recharge")]
            if fee_fen:
                payer = account_no if self.policy.quick_pay_fee_payer == "user" else chart.OWN
                commands.append(Transfer(f"{r.request_no}#fee", payer, chart.CHANNEL_TRANSIT,
                                         fee_fen, "channel_fee"))

            def done(results: list[Result]) -> Data:
                rows.append({"tenant_id": tenant_id, "request_no": r.request_no,
                             "user_id": r.user_id, "channel": "quick_pay",
                             "amount_fen": r.amount_fen, "fee_fen": fee_fen,
                             "settle_on": settle_on, "settled": 0})
                return {"tx_id": results[0].tx_id, "amount_fen": r.amount_fen,
                        "channel_fee_fen": fee_fen, "settle_on": settle_on.isoformat()}
            return Planned(commands, done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, r) for r in requests])
        if rows:
            insert_rows(conn, custody_recharges, rows)
        return [self._own_short(o) for o in outcomes]

    def _own_short(self, outcome: Data | CunguanError) -> Data | CunguanError:
        """The platform's own account could not pay a recharge's channel fee: say so."""
        if (isinstance(outcome, CunguanError) and outcome.code == "exceeds_available"
                and self.policy.quick_pay_fee_payer != "user"
                and str(outcome.details.get("ledger_request_no", "")).endswith("#fee")):
            return CustodyError(Refusal.PLATFORM_OWN_INSUFFICIENT,
                                "the platform's own account cannot pay the channel fee")
        return outcome

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

    @checked()
    def settle_channel(self, tenant_id: str, request_no: str, settle_on: date) -> CustodyResult:
        """The channel paid the day's quick-pay recharges into the summary account (T+1)."""
        def work(conn: Connection) -> Data:
            r = custody_recharges.c
            due = conn.execute(select(func.coalesce(func.sum(r.amount_fen - r.fee_fen), 0),
                                      func.count()).where(
                r.tenant_id == tenant_id, r.settled == 0, r.settle_on <= settle_on)).one()
            net_fen, count = int(due[0]), int(due[1])
            if net_fen:
                self.post(conn, tenant_id, [Transfer(request_no, chart.SUMMARY,
                                                     chart.CHANNEL_TRANSIT, net_fen,
                                                     "channel_settlement")])
            repaid_fen = self._repay_advance(conn, tenant_id, request_no)
            conn.execute(update(custody_recharges).where(
                r.tenant_id == tenant_id, r.settled == 0, r.settle_on <= settle_on,
            ).values(settled=1))
            return {"recharges": count, "net_fen": net_fen, "advance_repaid_fen": repaid_fen}
        return self.command(tenant_id, request_no, "settle_channel",
                            {"settle_on": settle_on.isoformat()}, work)

    def _repay_advance(self, conn: Connection, tenant_id: str, request_no: str) -> int:
        advance = get_account(conn, tenant_id, chart.ADVANCE)
        summary = get_account(conn, tenant_id, chart.SUMMARY)
        if advance is None or summary is None:
            return 0
        repay_fen = min(advance.balance_fen, summary.available_fen)
        if repay_fen > 0:
            self.post(conn, tenant_id, [Transfer(f"{request_no}#advance", chart.ADVANCE,
                                                 chart.SUMMARY, repay_fen,
                                                 "advance_repayment")])
        return max(repay_fen, 0)

    @checked()
    def offline_transfer(self, tenant_id: str, request_no: str, payer_card_no: str,
                         amount_fen: int) -> CustodyResult:
        """A transfer into the summary account, allocated by the payer's bound card; an
        unknown card parks the money as unallocated for an operator (R-C7)."""
        def work(conn: Connection) -> Data:
            c = custody_cards.c
            owner = conn.execute(select(c.user_id).where(
                c.tenant_id == tenant_id, c.card_no == payer_card_no,
                c.status == "bound")).scalar_one_or_none()
            account_no = chart.user_account_no(owner) if owner else chart.UNALLOCATED
            result = self.post(conn, tenant_id, [Transfer(
                request_no, chart.SUMMARY, account_no, amount_fen, "offline_recharge")])[0]
            return {"tx_id": result.tx_id, "allocated_to": owner or "unallocated"}
        return self.command(tenant_id, request_no, "offline_transfer",
                            {"card": payer_card_no, "amount": amount_fen}, work)

    # -- marketing (R-C18) -----------------------------------------------------------------
    @checked()
    def red_packet(self, tenant_id: str, request_no: str, user_id: str,
                   amount_fen: int) -> CustodyResult:
        """A cash red packet: from the marketing account to the user, irreversible."""
        def work(conn: Connection) -> Data:
            outcome = self._pay_red_packets(conn, tenant_id,
                                            [(request_no, user_id, amount_fen)])[0]
            if isinstance(outcome, CunguanError):
                raise outcome
            return outcome
        return self.command(tenant_id, request_no, "red_packet",
                            {"user": user_id, "amount": amount_fen}, work)

    @set_based(tuple)
    def red_packets(self, tenant_id: str, packets: Sequence[tuple[str, str, int]],
                    gate: Gate | None = None) -> list[CustodyResult]:
        """A campaign's cash red packets — (request no., user, amount) each — in one DB
        transaction, set-based; each packet answers as ``red_packet`` would."""
        checked_packets, invalid = checked_each([_red_packet(p) for p in packets])
        items = [(p.request_no, {"user": p.user_id, "amount": p.amount_fen})
                 for p in checked_packets]

        def work(conn: Connection, new: list[int]) -> list[Data | CunguanError]:
            return self._pay_red_packets(conn, tenant_id,
                                         [checked_packets[i].fields() for i in new])
        return self.commands_many(tenant_id, "red_packet", items, work, gate, invalid)

    def _pay_red_packets(self, conn: Connection, tenant_id: str,
                         packets: Sequence[tuple[str, str, int]]) -> list[Data | CunguanError]:
        """Marketing account → users, as one independent ledger batch: a packet refused (an
        unknown or inactive user, a short marketing account) changes nothing."""
        status: dict[str, str] = {user: row.status for user, row in lookups.users(
            conn, tenant_id, {user for _, user, _ in packets}).items()}
        outcomes: list[Data | CunguanError] = []
        transfers = []
        for no, user, amount in packets:
            if user not in status:
                outcomes.append(CustodyError(Refusal.USER_NOT_FOUND, f"no user_id {user}"))
            elif status[user] != "active":
                outcomes.append(CustodyError(Refusal.USER_NOT_ACTIVE, f"user {user} is "
                                                                f"{status[user]}"))
            else:
                outcomes.append({})
                transfers.append(Transfer(no, chart.MARKETING, chart.user_account_no(user),
                                          amount, "red_packet"))
        posted = iter(self.ledger.post_in(conn, tenant_id, transfers, linked=False))
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, dict):
                result = next(posted)
                outcomes[index] = ({"tx_id": result.tx_id} if result.ok else CustodyError(
                    str(result.reject), result.detail or str(result.reject),
                    ledger_request_no=result.request_no))
        return outcomes

    # -- money out (R-C15, R-C16, R-C17) ---------------------------------------------------
    @checked()
    def withdraw(self, tenant_id: str, request_no: str, user_id: str, card_no: str,
                 amount_fen: int, password: str | None = None) -> CustodyResult:
        """Hold amount + fee, pick the rail, and wait for review or the channel's answer."""
        checked = self._password_step(tenant_id, user_id, password)
        if isinstance(checked, CustodyResult):
            return CustodyResult(request_no, False, checked.code, checked.message)
        request = CardRequest(request_no, user_id, card_no, amount_fen, checked)
        return self.command(tenant_id, request_no, "withdraw", request.content(),
                            lambda conn: only(self._withdraw(conn, tenant_id, [request])[0]))

    @set_based(CardRequest)
    def withdraws(self, tenant_id: str, requests: Sequence["CardRequest"],
                  gate: Gate | None = None) -> list[CustodyResult]:
        """Many withdrawals in one DB transaction, set-based; each answers as ``withdraw``
        would, the ones before it in the call counted (free withdrawals, HVPS quota, money)."""
        requests, invalid = checked_each(requests)
        return self.commands_many(
            tenant_id, "withdraw", [(r.request_no, r.content()) for r in requests],
            lambda conn, new: self._withdraw(conn, tenant_id, [requests[i] for i in new]),
            gate, invalid)

    def _withdraw(self, conn: Connection, tenant_id: str,
                  requests: Sequence["CardRequest"]) -> list[Data | CunguanError]:
        user_ids = {r.user_id for r in requests}
        users = lookups.users(conn, tenant_id, user_ids)
        grants = lookups.authorizations(conn, tenant_id, "withdraw", user_ids)
        cards = lookups.bound_cards(conn, tenant_id, {r.card_no for r in requests})
        accounts = lookups.account_states(conn, tenant_id,
                                          {chart.user_account_no(u) for u in user_ids})
        now = self.clock()
        today = now.astimezone(CST).date()
        month = now.astimezone(CST).strftime("%Y-%m")
        taken, hvps_used_fen = self._withdrawals_so_far(conn, tenant_id, user_ids, month, today)
        so_far = {u: withdrawals.WithdrawnSoFar(taken.get(u, 0), hvps_used_fen.get(u, 0))
                  for u in user_ids}
        status = "pending_review" if self.policy.withdrawal_review else "processing"
        rows: list[Data] = []

        def plan(r: CardRequest) -> Planned:
            user = need_active(users, r.user_id)
            self.need_consent(grants, r.user_id, "withdraw", r.amount_fen, r.password_checked)
            need_card(cards, r.user_id, r.card_no)
            before = so_far[r.user_id]
            fee_fen, paid_fen = self._fee(r.amount_fen, before.this_month)
            account = accounts.get(user.account_no)
            if account is None:
                raise CustodyError(Refusal.USER_NOT_FOUND, f"no account for user {r.user_id}")
            self._need_withdrawable(account.available_fen, r.amount_fen, fee_fen,
                                    before.this_month)
            rail = self._route(paid_fen, now, before.hvps_today_fen)
            held_fen = paid_fen + fee_fen
            if rules.check_can_pay(account) is None and rules.check_available(
                    account, held_fen) is None:  # the hold will apply: count it for the rest
                account.frozen_fen += held_fen
                so_far[r.user_id] = withdrawals.counted(before, paid_fen, rail)

            def done(results: list[Result]) -> Data:
                hold_id = results[0].tx_id
                rows.append({"tenant_id": tenant_id, "request_no": r.request_no,
                             "user_id": r.user_id, "card_no": r.card_no,
                             "amount_fen": paid_fen, "fee_fen": fee_fen, "rail": rail.value,
                             "hold_id": hold_id, "settle_tx_id": None, "status": status,
                             "month": month, "business_date": today, "created_at": now})
                return {"status": status, "rail": rail.value, "amount_fen": paid_fen,
                        "fee_fen": fee_fen, "hold_id": hold_id}
            return Planned([Freeze(r.request_no, user.account_no, held_fen,
                                   "withdrawal in flight", None, "withdrawal")], done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, r) for r in requests])
        if rows:
            insert_rows(conn, custody_withdrawals, rows)
        return outcomes

    def _need_withdrawable(self, available_fen: int, amount_fen: int, fee_fen: int,
                           taken: int) -> None:
        try:
            withdrawals.check_withdrawable(available_fen, amount_fen, fee_fen, taken,
                                           self.policy.fees)
        except withdrawals.WithdrawalRefused as exc:
            raise CustodyError(exc.code, str(exc), **exc.details) from exc

    def _fee(self, amount_fen: int, taken: int) -> tuple[int, int]:
        """(fee, amount paid out), by the platform's fee policy."""
        try:
            return withdrawals.fee_and_payout_fen(amount_fen, taken, self.policy.fees)
        except withdrawals.WithdrawalRefused as exc:
            raise CustodyError(exc.code, str(exc)) from exc

    def _withdrawals_so_far(self, conn: Connection, tenant_id: str, user_ids: set[str],
                            month: str, today: date) -> tuple[dict[str, int], dict[str, int]]:
        """Per user: withdrawals this month (for the free ones, R-C17) and the amount sent by
        HVPS today (its daily quota, R-C16), counting those not failed or refused.

        The month's count stops at the free allowance (past it every withdrawal pays the
        same), so a user's thousandth withdrawal of the month reads as few rows as the second.
        """
        w, u = custody_withdrawals.c, custody_users.c
        live = w.status.in_(("pending_review", "processing", "succeeded"))
        firsts = select(w.request_no).where(
            w.tenant_id == u.tenant_id, w.user_id == u.user_id, w.month == month, live,
        ).limit(self.policy.fees.free_per_month).correlate(custody_users).subquery()
        counted = select(func.count()).select_from(firsts).scalar_subquery()
        counts = {user: int(n) for user, n in conn.execute(
            select(u.user_id, counted).where(u.tenant_id == tenant_id, u.user_id.in_(user_ids)))
            if n}
        hvps_fen = {user: int(fen) for user, fen in conn.execute(
            select(w.user_id, func.sum(w.amount_fen)).where(
                w.tenant_id == tenant_id, w.user_id.in_(user_ids), live, w.rail == "hvps",
                w.business_date == today).group_by(w.user_id))}
        return counts, hvps_fen

    def _route(self, amount_fen: int, now: datetime, hvps_used_fen: int) -> withdrawals.Rail:
        try:
            return withdrawals.route(amount_fen, now, hvps_used_today_fen=hvps_used_fen,
                                     calendar=self.calendar, policy=self.policy.routing)
        except withdrawals.RouteRefused as exc:
            raise CustodyError(exc.code, str(exc)) from exc

    @checked()
    def review_withdrawal(self, tenant_id: str, request_no: str, withdrawal_no: str,
                          approved: bool) -> CustodyResult:
        """The platform's review step: approved goes on to the bank, refused releases."""
        def work(conn: Connection) -> Data:
            row = self._withdrawal(conn, tenant_id, withdrawal_no, "pending_review")
            if approved:
                status = "processing"
            else:
                self.post(conn, tenant_id, [Release(request_no, row.hold_id, "review refused")])
                status = "refused"
            self._set_withdrawal(conn, tenant_id, withdrawal_no, status=status)
            return {"withdrawal": withdrawal_no, "status": status}
        return self.command(tenant_id, request_no, "review_withdrawal",
                            {"withdrawal": withdrawal_no, "approved": approved}, work)

    @checked()
    def channel_result(self, tenant_id: str, request_no: str, withdrawal_no: str,
                       succeeded: bool) -> CustodyResult:
        """The channel's answer: paid (money leaves the summary account, fee to the fee
        account) or failed (the hold is released)."""
        answer = ChannelAnswer(request_no, withdrawal_no, succeeded)
        return self.command(tenant_id, request_no, "channel_result", answer.content(),
                            lambda conn: only(self._channel_result(conn, tenant_id,
                                                                   [answer])[0]))

    @set_based(ChannelAnswer)
    def channel_results(self, tenant_id: str, answers: Sequence["ChannelAnswer"],
                        gate: Gate | None = None) -> list[CustodyResult]:
        """Many of the channel's answers in one DB transaction, set-based; each answers as
        ``channel_result`` would."""
        answers, invalid = checked_each(answers)
        return self.commands_many(
            tenant_id, "channel_result", [(a.request_no, a.content()) for a in answers],
            lambda conn, new: self._channel_result(conn, tenant_id, [answers[i] for i in new]),
            gate, invalid)

    def _channel_result(self, conn: Connection, tenant_id: str,
                        answers: Sequence["ChannelAnswer"]) -> list[Data | CunguanError]:
        found = lookups.rows_by(conn, custody_withdrawals, tenant_id, "request_no",
                                {a.withdrawal_no for a in answers}, lock=True)
        states = {no: row.status for no, row in found.items()}
        summary = lookups.account_states(conn, tenant_id, [chart.SUMMARY]).get(chart.SUMMARY)
        summary_fen = summary.available_fen if summary else 0
        updates: list[Data] = []

        def plan(a: ChannelAnswer) -> Planned:
            nonlocal summary_fen
            row = found.get(a.withdrawal_no)
            if row is None:
                raise CustodyError(Refusal.WITHDRAWAL_NOT_FOUND, f"no request_no {a.withdrawal_no}")
            if states[a.withdrawal_no] != "processing":
                raise CustodyError(Refusal.WITHDRAWAL_WRONG_STATE,
                                   f"withdrawal is {states[a.withdrawal_no]}")
            if a.succeeded:
                payees = [Payee(chart.SUMMARY, row.amount_fen)]
                if row.fee_fen:
                    payees.append(Payee(chart.FEE, row.fee_fen))
                advance = self._advance(a.request_no, row.amount_fen - summary_fen)
                commands: list[Command] = [*advance, Settle(a.request_no, row.hold_id,
                                                            tuple(payees), "withdrawal")]
                summary_fen += sum(t.amount_fen for t in advance) - row.amount_fen
                status = "succeeded"
            else:
                commands = [Release(a.request_no, row.hold_id, "channel failed")]
                status = "failed"
            states[a.withdrawal_no] = status  # a second answer in this call finds it answered

            def done(results: list[Result]) -> Data:
                updates.append({"request_no": a.withdrawal_no,
                                "status": status,
                                "settle_tx_id": results[-1].tx_id if a.succeeded else None})
                return {"withdrawal": a.withdrawal_no, "status": status}
            return Planned(commands, done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, a) for a in answers])
        self.set_rows(conn, custody_withdrawals, tenant_id, "request_no", updates)
        return outcomes

    def _advance(self, request_no: str, shortfall_fen: int) -> list[Transfer]:
        """T+0 (R-C15): when the summary account holds less than the payout because the
        channel has not settled yet, the advancer pays the difference in (Dr SUMMARY /
        Cr ADVANCE); the channel's settlement pays it back."""
        if shortfall_fen <= 0:
            return []
        if self.policy.advance_funder is None:
            raise CustodyError(Refusal.AWAITING_CHANNEL_SETTLEMENT,
                               "the money is not settled by the channel yet (T+1)")
        return [Transfer(f"{request_no}#advance", chart.SUMMARY, chart.ADVANCE, shortfall_fen,
                         "advance_funding", memo=self.policy.advance_funder)]

    @checked()
    def statement_reversal(self, tenant_id: str, request_no: str,
                           withdrawal_no: str) -> CustodyResult:
        """The bank statement shows the payout came back (冲正): the withdrawal fails and the
        money, fee included, returns to the user by a linked reversal."""
        def work(conn: Connection) -> Data:
            row = self._withdrawal(conn, tenant_id, withdrawal_no, "succeeded")
            self.post(conn, tenant_id, [Reverse(request_no, row.settle_tx_id,
                                                "payout returned", "withdrawal_reversal")])
            self._set_withdrawal(conn, tenant_id, withdrawal_no, status="reversed")
            return {"withdrawal": withdrawal_no, "status": "reversed"}
        return self.command(tenant_id, request_no, "statement_reversal",
                            {"withdrawal": withdrawal_no}, work)

    def _withdrawal(self, conn: Connection, tenant_id: str, withdrawal_no: str,
                    status: str) -> Any:
        row = self.row(conn, custody_withdrawals, tenant_id, "request_no", withdrawal_no,
                       missing="withdrawal_not_found")
        if row.status != status:
            raise CustodyError(Refusal.WITHDRAWAL_WRONG_STATE, f"withdrawal is {row.status}")
        return row

    def _set_withdrawal(self, conn: Connection, tenant_id: str, withdrawal_no: str,
                        **values: Any) -> None:
        self.set_row(conn, custody_withdrawals, tenant_id, "request_no", withdrawal_no,
                     **values)

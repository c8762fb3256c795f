"""Users (R-C3, R-C4, R-A1): opened on the bank's page, approved, their password reset, a
migrated user activated; and their standing authorizations (免密授权)."""

from datetime import date, datetime

from cunguan.core.errors import RuleError
from cunguan.custody.cards import normalize_card_no
from cunguan.custody.handlers.base import CustodyResult, Data, checked
from cunguan.custody.handlers.common import QUICK_PAY_BANKS, CustodyCommon, refused_early
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules import kyc, passwords
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import authorizations as grant_rows
from cunguan.custody.store import cards as card_rows
from cunguan.custody.store import users as user_rows
from cunguan.db.connection import Connection, read_connection

_MISMATCH = "the ID no., mobile or card does not match the account"


class Users(CustodyCommon):
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
            return refused_early(request_no, exc)
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

    def _insert_user(self, conn: Connection, tenant_id: str, user_id: str, role: str,
                     kind: str, status: str, identity: kyc.Identity, password_hash: str,
                     risk_tolerance: int) -> None:
        holder = user_rows.holder_of(conn, tenant_id, identity.id_kind.value, identity.id_no)
        if holder is not None:
            raise CustodyError(Refusal.PERSON_HAS_ACCOUNT, "one person, one account per platform",
                               user_id=holder)
        if user_rows.mobile_taken(conn, tenant_id, identity.mobile):
            # R-C4: name, ID no. and mobile are each one person's on a platform.
            raise CustodyError(Refusal.MOBILE_TAKEN, "this mobile no. belongs to another account "
                               "on the platform")
        if user_rows.user_exists(conn, tenant_id, user_id):
            raise CustodyError(Refusal.USER_EXISTS, f"user {user_id} exists already")
        user_rows.insert_user(conn, {
            "tenant_id": tenant_id, "user_id": user_id, "kind": kind, "role": role,
            "status": status, "name": identity.name, "id_kind": identity.id_kind.value,
            "id_no": identity.id_no, "mobile": identity.mobile,
            "account_no": chart.user_account_no(user_id), "password_hash": password_hash,
            "failed_attempts": 0, "locked_until": None, "risk_tolerance": risk_tolerance,
            "has_bid": 0, "created_at": self.clock()})

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
            user_rows.set_user(conn, tenant_id, user_id, status=status)
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
            return CustodyResult(request_no, False, Refusal.IDENTITY_MISMATCH, _MISMATCH)

        def matches(conn: Connection, *, lock: bool) -> bool:
            row = self.user(conn, tenant_id, user_id, lock=lock)
            card = card_rows.bound_card(conn, tenant_id, user_id, card_no)
            return row.id_no == id_no and row.mobile == mobile and card is not None

        # A wrong guess is answered but not recorded, like a wrong password: the user corrects
        # it on the same page under the same serial no.
        with read_connection(self.engine) as conn:
            try:
                guessed_right = matches(conn, lock=False)
            except CustodyError:   # an unknown user: the command itself answers that
                guessed_right = True
        if not guessed_right:
            return CustodyResult(request_no, False, Refusal.IDENTITY_MISMATCH, _MISMATCH)

        def work(conn: Connection) -> Data:
            if not matches(conn, lock=True):
                raise CustodyError(Refusal.IDENTITY_MISMATCH, _MISMATCH)
            user_rows.set_user(conn, tenant_id, user_id, password_hash=password_hash,
                               failed_attempts=0, locked_until=None)
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
            return refused_early(request_no, exc)

        def work(conn: Connection) -> Data:
            row = self.user(conn, tenant_id, user_id)
            if row.status != "pending_activation":
                raise CustodyError(Refusal.USER_NOT_PENDING, f"user {user_id} is {row.status}")
            if card_no is not None:
                card = self._card(card_no)
                self._need_reserved_match(conn, tenant_id, row.mobile, card_no)
                self._insert_card(conn, tenant_id, user_id, card_no, card)
            if not card_rows.has_bound_card(conn, tenant_id, user_id):
                raise CustodyError(Refusal.CARD_REQUIRED, "bind a usable debit card to activate")
            user_rows.set_user(conn, tenant_id, user_id, status="active",
                               password_hash=password_hash)
            return {"user_id": user_id, "status": "active"}
        return self.command(tenant_id, request_no, "activate_user",
                            {"user": user_id, "card": card_no}, work)

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
            grant_rows.replace(conn, tenant_id, user_id, kinds, max_amount_fen, expires_at)
            return {"kinds": sorted(set(kinds)), "max_amount_fen": max_amount_fen,
                    "expires_at": expires_at.isoformat()}
        return self.command(tenant_id, request_no, "authorize",
                            {"user": user_id, "kinds": sorted(set(kinds)),
                             "max": max_amount_fen, "expires_at": expires_at.isoformat()}, work)

    @checked(kind=custody_fields.word(custody_fields.AUTHORIZATION_KINDS))
    def revoke_authorization(self, tenant_id: str, request_no: str, user_id: str,
                             kind: str) -> CustodyResult:
        def work(conn: Connection) -> Data:
            if not grant_rows.revoke(conn, tenant_id, user_id, kind):
                raise CustodyError(Refusal.AUTHORIZATION_NOT_FOUND,
                                   f"no active {kind} authorization")
            return {"kind": kind, "status": "revoked"}
        return self.command(tenant_id, request_no, "revoke_authorization",
                            {"user": user_id, "kind": kind}, work)

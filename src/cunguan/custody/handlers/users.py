"""Users (R-C3, R-C4, R-A1): opened on the bank's page, approved, their password reset, a
migrated user activated; and their standing authorizations (免密授权)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from cunguan.core.errors import CunguanError, RuleError
from cunguan.core.fields import FieldInvalid
from cunguan.custody.cards import normalize_card_no
from cunguan.custody.handlers.base import (
    CustodyResult,
    Data,
    Gate,
    attempt,
    checked,
    set_based,
)
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


@dataclass(frozen=True, slots=True)
class Opening:
    """An account opening as the set-based call takes it: what was typed, normalized, and
    the password's argon2id hash (``Users.opening``)."""

    request_no: str
    user_id: str
    role: str
    kind: str
    name: str
    id_kind: kyc.IdKind
    id_no: str
    mobile: str
    card_no: str
    password_hash: str
    risk_tolerance: int = 3
    reserved_mobile: str | None = None
    strict_mobile_match: bool = False

    def check(self) -> None:
        """Checked before it was made (``Users.opening``)."""

    def content(self) -> Data:
        """What the request log records: as ``open_user`` always has (no password)."""
        return {"user": self.user_id, "role": self.role, "name": self.name,
                "id_kind": self.id_kind, "id_no": self.id_no, "mobile": self.mobile,
                "card": self.card_no, "kind": self.kind}


def _password_hash(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.startswith("$argon2id$") or len(value) > 256:
        raise FieldInvalid(field, "an argon2id hash made by the opening")
    return value


#: An opening's fields, as ``opening`` left them (identity fields checked by their rules).
_OPENING_FIELDS: dict[str, custody_fields.Check] = {
    **custody_fields.AS_TYPED, "kind": custody_fields.word(frozenset({"person", "company"})),
    "password_hash": _password_hash}


class Users(CustodyCommon):
    #: What runs an opening once its password is hashed: the server's set-based coalescer
    #: (platform/bank.py), which gathers concurrent openings into one ``open_users``; by
    #: default a call of one.
    opening_runner: Callable[[str, Opening], CustodyResult] | None = None

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
        opening = self.opening(request_no, user_id=user_id, role=role, name=name,
                               id_kind=id_kind, id_no=id_no, mobile=mobile, card_no=card_no,
                               password=password, kind=kind, risk_tolerance=risk_tolerance,
                               reserved_mobile=reserved_mobile,
                               strict_mobile_match=strict_mobile_match)
        if isinstance(opening, CustodyResult):
            return opening
        if self.opening_runner is not None:
            return self.opening_runner(tenant_id, opening)
        return self.open_users(tenant_id, [opening])[0]

    @staticmethod
    def opening(request_no: str, *, user_id: str, role: str, name: str, id_kind: kyc.IdKind,
                id_no: str, mobile: str, card_no: str, password: str, kind: str = "person",
                risk_tolerance: int = 3, reserved_mobile: str | None = None,
                strict_mobile_match: bool = False) -> "Opening | CustodyResult":
        """An opening's fields normalized and its password hashed (argon2id, the opening's
        cost: done here, by the caller's thread, before any group it joins), or the refusal
        of what was typed. The fields' forms were checked by ``open_user``."""
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
        return Opening(request_no, user_id, role, kind, name, id_kind, id_no, mobile, card_no,
                       password_hash, risk_tolerance, reserved_mobile, strict_mobile_match)

    @set_based(Opening)
    def open_users(self, tenant_id: str, openings: Sequence[Opening],
                   gate: Gate | None = None) -> list[CustodyResult]:
        """Many openings (``opening``'s, passwords hashed) in one DB transaction, set-based:
        the keys people hold read once for all, each opening then checked in arrival order
        against them and the openings before it; each answers as ``open_user`` would."""
        return self.records_many(tenant_id, "open_user", openings, self._open_many, gate,
                                 _OPENING_FIELDS)

    def _open_many(self, conn: Connection, tenant_id: str,
                   openings: Sequence[Opening]) -> list[Data | CunguanError]:
        day = self.accounting_date(conn, tenant_id)
        platform_strict = self.strict_reserved_phone(conn, tenant_id)
        users, holders, mobiles = user_rows.taken_keys(
            conn, tenant_id, {o.user_id for o in openings},
            {(o.id_kind.value, o.id_no) for o in openings}, {o.mobile for o in openings})
        cards = card_rows.holders(conn, tenant_id, sorted({o.card_no for o in openings}))
        new_users: list[Data] = []
        new_cards: list[tuple[str, Data]] = []
        bound_again: list[tuple[str, Data]] = []

        def open_one(o: Opening) -> Data:
            identity = self._identity(o.name, o.id_kind, o.id_no, o.mobile, day, o.kind,
                                      self._reserved(o.card_no, o.reserved_mobile),
                                      o.strict_mobile_match or platform_strict)
            card = self._card(o.card_no)
            status = ("pending_approval" if o.kind == "company" else
                      "pending_review" if identity.needs_review else "active")
            person = (identity.id_kind.value, identity.id_no)
            if person in holders:
                raise CustodyError(Refusal.PERSON_HAS_ACCOUNT,
                                   "one person, one account per platform",
                                   user_id=holders[person])
            if identity.mobile in mobiles:
                raise CustodyError(Refusal.MOBILE_TAKEN, "this mobile no. belongs to another "
                                   "account on the platform")
            if o.user_id in users:
                raise CustodyError(Refusal.USER_EXISTS, f"user {o.user_id} exists already")
            held = cards.get(o.card_no)
            if held is not None and held[1] == "bound":
                raise CustodyError(Refusal.CARD_BOUND_ELSEWHERE,
                                   "this card is bound to another account")
            holders[person] = o.user_id
            users.add(o.user_id)
            mobiles.add(identity.mobile)
            cards[o.card_no] = (o.user_id, "bound")
            new_users.append(self._user_row(tenant_id, o.user_id, o.role, o.kind, status,
                                            identity, o.password_hash, o.risk_tolerance))
            values = self._card_values(o.user_id, card)
            (new_cards if held is None else bound_again).append((o.card_no, values))
            return {"user_id": o.user_id, "status": status,
                    "account_no": chart.user_account_no(o.user_id), "bank": card.bank_name,
                    "quick_pay": card.bank_code in QUICK_PAY_BANKS}
        outcomes = [attempt(open_one, o) for o in openings]
        if new_users:
            user_rows.insert_users(conn, new_users)
            card_rows.insert_cards(conn, tenant_id, new_cards)
            for card_no, values in bound_again:
                card_rows.update_card(conn, tenant_id, card_no, values)
            self.ledger.open_accounts_in(conn, tenant_id, [
                chart.user_account(row["user_id"], row["role"]) for row in new_users])
        return outcomes

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

    def _user_row(self, tenant_id: str, user_id: str, role: str, kind: str, status: str,
                  identity: kyc.Identity, password_hash: str, risk_tolerance: int) -> Data:
        return {
            "tenant_id": tenant_id, "user_id": user_id, "kind": kind, "role": role,
            "status": status, "name": identity.name, "id_kind": identity.id_kind.value,
            "id_no": identity.id_no, "mobile": identity.mobile,
            "account_no": chart.user_account_no(user_id), "password_hash": password_hash,
            "failed_attempts": 0, "locked_until": None, "risk_tolerance": risk_tolerance,
            "has_bid": 0, "created_at": self.clock()}

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

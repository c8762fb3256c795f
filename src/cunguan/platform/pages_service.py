"""Bank-hosted pages (银行页面): where users type what the platform must never see.

A platform asks for a page session for one action (open an account, or confirm a recharge,
bid, withdrawal, repayment or authorization with the transaction password), sends the user to
its URL, and gets the user back at its own return URL with a signed result. The password goes
from the user's browser to the bank only. Each session is single-use, short-lived and carries
its own CSRF token.
"""

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from cunguan.core import limits, signing
from cunguan.core.clock import Clock, system_clock
from cunguan.custody.handlers.base import CustodyResult
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.refusals import Refusal
from cunguan.db.connection import Engine, read_connection
from cunguan.platform.access import AccessError, AccessService
from cunguan.platform.store import page_sessions as session_store
from cunguan.platform.store import rate_limits as rate_limit_store
from cunguan.platform.store.platforms import return_url_prefix

PAGE_ACTIONS = ("open_account", "recharge", "bid", "withdraw", "repay", "authorize",
                "reset_password", "activate")
#: Codes after which the user may simply try again on the same page.
RETRY_ON_PAGE = frozenset({"password_wrong", "password_too_simple", "password_invalid",
                           "password_mismatch", "field_invalid", "id_no_invalid",
                           "card_no_invalid", "card_not_debit", "card_bin_unknown",
                           "mobile_invalid", "name_invalid", "identity_mismatch", "mobile_taken",
                           "mobile_mismatch",
                           "card_required"})


@dataclass(frozen=True, slots=True)
class PageSession:
    token: str
    tenant_id: str
    action: str
    request_no: str
    params: dict[str, Any]
    return_url: str
    csrf_token: str
    status: str
    result: dict[str, Any] | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """After a form post: either show the page again with ``error``, or go to ``redirect``."""

    redirect: str | None
    error: str | None = None
    code: str | None = None


class PagesService:
    def __init__(self, engine: Engine, custody: LendingService, access: AccessService, *,
                 clock: Clock = system_clock) -> None:
        self.engine = engine
        self.custody = custody
        self.access = access
        self.clock = clock
        #: The window whose older counts this process last forgot.
        self._forgotten_before: datetime | None = None

    def create(self, tenant_id: str, action: str, request_no: str, params: dict[str, Any],
               return_url: str) -> PageSession:
        if action not in PAGE_ACTIONS:
            raise AccessError("field_invalid", f"unknown page action {action}")
        with read_connection(self.engine) as conn:
            prefix = return_url_prefix(conn, tenant_id)
        if not prefix or not return_url.startswith(prefix) or \
                urlsplit(return_url).scheme not in ("http", "https"):
            raise AccessError("return_url_not_allowed",
                              "the return URL is not under the platform's registered prefix")
        now = self.clock()
        session = PageSession(secrets.token_urlsafe(24), tenant_id, action, request_no, params,
                              return_url, secrets.token_urlsafe(24), "open", None,
                              now + timedelta(seconds=limits.page_session_ttl_s))
        with self.engine.begin() as conn:
            session_store.insert_session(
                conn, tenant_id=tenant_id, token=session.token, action=action,
                request_no=request_no, params_json=json.dumps(params, ensure_ascii=False),
                return_url=return_url, csrf_token=session.csrf_token,
                expires_at=session.expires_at, created_at=now)
        return session

    def allow_post(self, client: str) -> bool:
        """Count a form post from ``client`` (its address); False past
        ``limits.page_posts_per_minute_max`` in this fixed one-minute window. The counts are
        rows of the database, so every server process counts together (kept per process,
        N processes allowed N times the limit)."""
        window = self.clock().replace(second=0, microsecond=0)
        with self.engine.begin() as conn:
            bucket = f"pages:{client[:limits.rate_bucket_client_length_max]}"
            hits = rate_limit_store.count_hit(conn, bucket, window)
        if hits == 1 and self._forgotten_before != window:
            # a new window: the counts before it limit nothing any more. Forgotten once per
            # window by this process, not on every client's first post (most openings come
            # from an address new in the window: each paid a second transaction for it).
            self._forgotten_before = window
            with self.engine.begin() as conn:
                rate_limit_store.forget_before(conn, window - timedelta(minutes=1))
        return hits <= limits.page_posts_per_minute_max

    def get(self, token: str) -> PageSession:
        with read_connection(self.engine) as conn:
            row = session_store.session_row(conn, token)
        if row is None or row.expires_at < self.clock():
            raise AccessError("page_session_not_found", "this page has expired or never existed")
        return PageSession(row.token, row.tenant_id, row.action, row.request_no,
                           json.loads(row.params), row.return_url, row.csrf_token, row.status,
                           json.loads(row.result) if row.result else None, row.expires_at)

    def submit(self, token: str, csrf_token: str, form: dict[str, str]) -> PageOutcome:
        """Run the page's action with what the user typed."""
        session = self.get(token)
        if not secrets.compare_digest(session.csrf_token, csrf_token):
            raise AccessError("csrf_invalid", "the form is stale or was not sent by this page")
        if session.status == "done":
            return PageOutcome(self.return_link(session, session.result or {}))
        result = self._run(session, form)
        if not result.ok and result.code in RETRY_ON_PAGE:
            return PageOutcome(None, result.message, result.code)
        answer = {"request_no": session.request_no, "status": "ok" if result.ok else "rejected",
                  "code": result.code}
        with self.engine.begin() as conn:
            session_store.mark_done(conn, token, json.dumps(answer))
        return PageOutcome(self.return_link(session, answer))

    def return_link(self, session: PageSession, answer: dict[str, Any]) -> str:
        """The platform's return URL with the result and the bank's signature on it."""
        key = self.access.platform_secret(session.tenant_id)
        if key is None:
            raise AccessError("signature_invalid", "the platform has no active key")
        query = urlencode(sorted(answer.items()))
        signed = signing.sign_request(key[0], signing.HMAC_SHA256, key[1], "RETURN",
                                      session.return_url, query.encode(),
                                      int(self.clock().timestamp()))
        extra = urlencode({"key": signed.key_id, "timestamp": signed.timestamp,
                           "nonce": signed.nonce, "signature": signed.signature})
        joiner = "&" if "?" in session.return_url else "?"
        return f"{session.return_url}{joiner}{query}&{extra}"

    # -- the actions -----------------------------------------------------------------------
    def _run(self, s: PageSession, form: dict[str, str]) -> CustodyResult:
        password = form.get("password", "")
        run: dict[str, Callable[[], CustodyResult]] = {
            "open_account": lambda: self._open_account(s, form),
            "recharge": lambda: self.custody.recharge(
                s.tenant_id, s.request_no, s.params["user_id"], s.params["card_no"],
                s.params["amount_fen"], password=password),
            "bid": lambda: self.custody.bid(
                s.tenant_id, s.request_no, s.params["user_id"], s.params["project_id"],
                s.params["amount_fen"], password=password,
                red_packet_fen=s.params.get("red_packet_fen", 0),
                coupon_rate=s.params.get("coupon_rate", "0")),
            "withdraw": lambda: self.custody.withdraw(
                s.tenant_id, s.request_no, s.params["user_id"], s.params["card_no"],
                s.params["amount_fen"], password=password),
            "repay": lambda: self.custody.repay(
                s.tenant_id, s.request_no, s.params["project_id"], password=password),
            "authorize": lambda: self.custody.authorize(
                s.tenant_id, s.request_no, s.params["user_id"], tuple(s.params["kinds"]),
                s.params["max_amount_fen"], datetime.fromisoformat(s.params["expires_at"]),
                password),
        }
        return run[s.action]() if s.action in run else self._account_page(s, form)

    def _account_page(self, s: PageSession, form: dict[str, str]) -> CustodyResult:
        """Setting a password: a forgotten one (ID no., mobile and a bound card must match),
        or a migrated user's first (R-C20), binding a new card when the old one cannot serve."""
        if mismatch := _passwords_differ(s, form):
            return mismatch
        card_no = form.get("card_no", "").replace(" ", "")
        if s.action == "reset_password":
            return self.custody.reset_password(
                s.tenant_id, s.request_no, s.params["user_id"],
                id_no=form.get("id_no", "").strip(), mobile=form.get("mobile", "").strip(),
                card_no=card_no, new_password=form.get("password", ""))
        return self.custody.activate_user(s.tenant_id, s.request_no, s.params["user_id"],
                                          form.get("password", ""), card_no or None)

    def _open_account(self, s: PageSession, form: dict[str, str]) -> CustodyResult:
        if mismatch := _passwords_differ(s, form):
            return mismatch
        try:
            id_kind = IdKind(form.get("id_kind", IdKind.RESIDENT_ID.value))
        except ValueError:
            return CustodyResult(s.request_no, False, Refusal.FIELD_INVALID, "unknown ID kind")
        return self.custody.open_user(
            s.tenant_id, s.request_no, user_id=s.params["user_id"], role=s.params["role"],
            name=form.get("name", "").strip(), id_kind=id_kind,
            id_no=form.get("id_no", "").strip(), mobile=form.get("mobile", "").strip(),
            card_no=form.get("card_no", "").replace(" ", ""),
            password=form.get("password", ""), kind=s.params.get("kind", "person"))


def _passwords_differ(s: PageSession, form: dict[str, str]) -> CustodyResult | None:
    """A new password is typed twice; a difference is answered on the page."""
    if form.get("password") == form.get("password_again"):
        return None
    return CustodyResult(s.request_no, False, "password_mismatch", "the two passwords differ")

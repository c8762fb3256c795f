"""The bank-hosted pages: server-rendered forms that work without JavaScript, in Chinese
with English available (``?lang=en``).

A page session's URL is unguessable and single-use; its form carries a CSRF token that must
also come back in a SameSite=Strict cookie set by the page, so no other site can post it.
Form posts are rate limited per client address, counted in the database by every process.
The password is posted to the bank only.
"""

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from cunguan.core import limits
from cunguan.core.errors import InvariantViolation
from cunguan.core.money import format_yuan
from cunguan.core.settings import settings
from cunguan.platform.edge import ApiError, bank
from cunguan.platform.pages_service import PageSession

router = APIRouter(prefix="/pages", tags=["hosted pages"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
CSRF_COOKIE = "cunguan_csrf"
#: The proxies whose X-Forwarded-For the rate limit believes, comma-separated addresses or
#: networks (``cunguan serve --trusted-proxy`` sets it; also uvicorn's forwarded_allow_ips).
TRUSTED_PROXIES_ENV = "CUNGUAN_TRUSTED_PROXIES"
#: A page session's token (secrets.token_urlsafe(24): 32 characters).
Token = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

TEXTS = {
    "zh": {"bank": "存管银行", "other_language": "English", "submit": "确认",
           "notice": "本页面由存管银行提供，密码仅提交至银行，平台无法获取。",
           "name": "姓名", "id_kind": "证件类型", "id_no": "证件号码", "mobile": "银行预留手机号",
           "card_no": "借记卡号", "password": "交易密码（6位数字）",
           "password_again": "再次输入交易密码", "amount": "金额（元）", "project": "项目",
           "card": "银行卡", "user": "用户", "kinds": "授权业务", "limit": "单笔上限（元）",
           "expires": "有效期至", "bound_card": "已绑定的银行卡号",
           "new_card": "新借记卡号（原卡不可用时填写）",
           "titles": {"open_account": "开立存管账户", "recharge": "充值", "bid": "出借",
                      "withdraw": "提现", "repay": "还款", "authorize": "免密授权",
                      "reset_password": "重置交易密码", "activate": "激活存管账户"},
           "id_kinds": {"resident_id": "居民身份证", "passport": "护照",
                        "hk_macau": "港澳居民来往内地通行证", "taiwan": "台湾居民来往大陆通行证"}},
    "en": {"bank": "Custody bank", "other_language": "中文", "submit": "Confirm",
           "notice": "This page is the custody bank's. Your password goes to the bank only; "
                     "the platform never sees it.",
           "name": "Name", "id_kind": "ID type", "id_no": "ID number",
           "mobile": "Mobile number registered with your bank", "card_no": "Debit card number",
           "password": "Transaction password (6 digits)",
           "password_again": "Transaction password again", "amount": "Amount (yuan)",
           "project": "Project", "card": "Card", "user": "User", "kinds": "Authorized for",
           "limit": "Limit per instruction (yuan)", "expires": "Valid until",
           "bound_card": "A card bound to the account",
           "new_card": "New debit card (if the old one cannot be used)",
           "titles": {"open_account": "Open a custody account", "recharge": "Recharge",
                      "bid": "Invest", "withdraw": "Withdraw", "repay": "Repay",
                      "authorize": "Standing authorization",
                      "reset_password": "Reset the transaction password",
                      "activate": "Activate your custody account"},
           "id_kinds": {"resident_id": "Resident ID card", "passport": "Passport",
                        "hk_macau": "Mainland travel permit (HK/Macau)",
                        "taiwan": "Mainland travel permit (Taiwan)"}},
}


#: What the pages say, in Chinese, when the user can try again (English: the service message).
ERRORS_ZH = {
    "password_wrong": "交易密码错误，连续错误5次将锁定。",
    "password_mismatch": "两次输入的密码不一致。",
    "password_invalid": "交易密码为6位数字。",
    "password_too_simple": "密码过于简单，请勿使用重复或连续数字。",
    "id_no_invalid": "证件号码有误。", "card_no_invalid": "银行卡号有误。",
    "card_not_debit": "请使用借记卡。", "card_bin_unknown": "无法识别该卡的发卡行。",
    "mobile_invalid": "手机号码有误。", "name_invalid": "请填写姓名。",
    "identity_mismatch": "证件号码、手机号或银行卡与账户信息不符。",
    "card_required": "请绑定一张可用的借记卡。", "field_invalid": "填写的信息有误。",
}


def trusted_proxies(entries: Iterable[str]) -> Callable[[str], bool]:
    """Whether an address is one of the trusted proxies: addresses or networks
    (``10.0.0.0/8``); none by default."""
    networks = [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries
                if entry.strip()]

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)
    return trusted


def trusted_proxies_from_env() -> list[str]:
    return settings().trusted_proxy_list()


def client_address(request: Request) -> str:
    """Who posts, for the rate limit: the peer's address, or — only when the peer is a proxy
    the operator trusts (``cunguan serve --trusted-proxy``) — the nearest address in its
    X-Forwarded-For that is not itself a trusted proxy. Trusting the header from anyone (or
    from loopback, uvicorn's default) let every post name a fresh address."""
    trusted: Callable[[str], bool] = request.app.state.trusted_proxy
    peer = request.client.host if request.client else ""
    if not trusted(peer):
        return peer or "?"
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            return hop
    return peer


def _lang(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def _summary(session: PageSession, t: Mapping[str, object]) -> list[tuple[str, str]]:
    p = session.params
    rows: list[tuple[object, str]] = []
    if "amount_fen" in p:
        rows.append((t["amount"], format_yuan(p["amount_fen"])))
    if "project_id" in p:
        rows.append((t["project"], p["project_id"]))
    if "card_no" in p:
        rows.append((t["card"], "**** " + p["card_no"][-4:]))
    if "user_id" in p:
        rows.append((t["user"], p["user_id"]))
    if "kinds" in p:
        rows.append((t["kinds"], ", ".join(p["kinds"])))
        rows.append((t["limit"], format_yuan(p["max_amount_fen"])))
        rows.append((t["expires"], datetime.fromisoformat(p["expires_at"]).date().isoformat()))
    return [(str(label), value) for label, value in rows]


def _render(request: Request, session: PageSession, lang: str, error: str | None = None,
            status: int = 200) -> HTMLResponse:
    t = TEXTS[lang]
    titles = t["titles"]
    if not isinstance(titles, dict):
        raise InvariantViolation("page texts carry titles")
    id_kinds = t["id_kinds"]
    if not isinstance(id_kinds, dict):
        raise InvariantViolation("page texts carry ID kinds")
    context = {"t": {**t, "title": titles[session.action]}, "lang": lang,
               "action": session.action, "csrf_token": session.csrf_token, "error": error,
               "summary": _summary(session, t), "id_kinds": list(id_kinds.items()),
               "action_url": str(request.url_for("page_submit", token=session.token))}
    page = templates.TemplateResponse(request, "page.html", context, status_code=status)
    page.set_cookie(CSRF_COOKIE, session.csrf_token, max_age=limits.page_session_ttl_s,
                    path=f"/pages/{session.token}", secure=request.url.scheme == "https",
                    httponly=True, samesite="strict")
    _harden(page, session.return_url)
    return page


def _harden(page: Response, return_url: str) -> None:
    target = urlsplit(return_url)
    page.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"form-action 'self' {target.scheme}://{target.netloc}; frame-ancestors 'none'")
    page.headers["X-Frame-Options"] = "DENY"
    page.headers["Cache-Control"] = "no-store"
    page.headers["Referrer-Policy"] = "no-referrer"


@router.get("/{token}", name="page_form", response_class=HTMLResponse)
def page_form(request: Request, token: Token, lang: str | None = None) -> Response:
    session = bank(request).pages.get(token)
    if session.status == "done":
        return RedirectResponse(bank(request).pages.return_link(session, session.result or {}),
                                status_code=303)
    return _render(request, session, _lang(lang))


@router.post("/{token}", name="page_submit", response_class=HTMLResponse)
def page_submit(request: Request, token: Token,
                csrf_token: Annotated[str, Form(max_length=64)],
                password: Annotated[str, Form(max_length=32)] = "",
                password_again: Annotated[str, Form(max_length=32)] = "",
                name: Annotated[str, Form(max_length=64)] = "",
                id_kind: Annotated[str, Form(max_length=16)] = "resident_id",
                id_no: Annotated[str, Form(max_length=32)] = "",
                mobile: Annotated[str, Form(max_length=16)] = "",
                card_no: Annotated[str, Form(max_length=23)] = "",
                lang: Annotated[str, Form(max_length=2)] = "zh") -> Response:
    if not bank(request).pages.allow_post(client_address(request)):
        raise ApiError("rate_limited", "too many attempts; wait a minute")
    if request.cookies.get(CSRF_COOKIE) != csrf_token:
        raise ApiError("csrf_invalid", "the form is stale or was not sent by this page")
    form = {"password": password, "password_again": password_again, "name": name,
            "id_kind": id_kind, "id_no": id_no, "mobile": mobile, "card_no": card_no}
    pages = bank(request).pages
    outcome = pages.submit(token, csrf_token, form)
    if outcome.redirect is None:
        error = ERRORS_ZH.get(outcome.code or "", outcome.error) if _lang(lang) == "zh" \
            else outcome.error
        return _render(request, pages.get(token), _lang(lang), error, status=422)
    return RedirectResponse(outcome.redirect, status_code=303)

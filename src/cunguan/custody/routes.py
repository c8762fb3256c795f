"""Endpoints for platforms: each one verifies the caller, calls one custody command or query
inside the caller's tenant, and answers. Nothing here decides a business rule.

The busiest commands (money in and out, each with a set-based form) are lane commands: their
endpoints take nothing but the request, and the app's command lane (platform/lane.py) calls them
directly, without the router. The router tries routes in the order they are declared, and
each route tried costs several microseconds: the busiest of the others come first.
"""

import dataclasses
import re
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from cunguan.core import limits
from cunguan.custody import schemas as s
from cunguan.custody.handlers.exchange_projects import ExchangeProjects
from cunguan.custody.handlers.lending_service import (
    BidRequest,
    ClaimPurchase,
    ProjectStep,
    ProjectTerms,
)
from cunguan.custody.handlers.service import CardRequest
from cunguan.custody.rules.contracts import ExchangeOrigin
from cunguan.custody.rules.refusals import CustodyError
from cunguan.platform.access import Principal
from cunguan.platform.bank import SET_BASED_CALLS
from cunguan.platform.edge import (
    ERROR_RESPONSES,
    SignedRoute,
    answer,
    bank,
    check_callback_url,
    command_input,
    platform,
    platform_command,
    respond,
    set_based,
    tenant,
)
from cunguan.platform.lane import Endpoint, IdCommand

Caller = Annotated[Principal, Depends(platform)]
#: A platform's command run set-based: its nonce is recorded with the command's outcome.
Command = Annotated[Principal, Depends(platform_command)]
#: The form of an id in a path (``PathId``).
PATH_ID = re.compile(r"^[A-Za-z0-9_.:@#-]{1,64}$")
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:@#-]+$")]
router = APIRouter(prefix="/v1", tags=["platform"], responses=ERROR_RESPONSES,
                   route_class=SignedRoute)
#: The lane commands' endpoints by path (``lane_command``), for the command lane.
LANE: dict[str, Endpoint] = {}
#: The lane commands whose path names a project or a listing (``lane_id_command``).
LANE_IDS: list[IdCommand] = []
C = TypeVar("C", bound=s.Command)


def lane_command(path: str, schema: type[C]
                 ) -> Callable[[Callable[[Request, Principal, C], Awaitable[Response]]],
                               Endpoint]:
    """Declares a lane command: its handler gets the verified caller and the body of
    ``schema`` (``command_input``); the endpoint around it takes only the request, and is
    both a route (with the body documented) and the command lane's for ``path``."""
    def declare(handle: Callable[[Request, Principal, C], Awaitable[Response]]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            caller, body = await command_input(request, schema, platform_command)
            return await handle(request, caller, body)
        # Name and summary only: functools.wraps would set __wrapped__, and FastAPI would then
        # read the handler's parameters as the endpoint's and solve them again.
        endpoint.__name__, endpoint.__doc__ = handle.__name__, handle.__doc__
        body_doc = {"required": True, "content": {"application/json": {
            "schema": schema.model_json_schema()}}}
        router.post(path, response_model=s.CommandOk,
                    openapi_extra={"requestBody": body_doc})(endpoint)
        LANE[router.prefix + path] = endpoint
        return endpoint
    return declare


def lane_id_command(path: str, schema: type[C],
                    handle: Callable[[Request, Principal, C, str], Awaitable[Response]]) -> None:
    """The command lane's way to a route that is declared with the router (its path
    parameter, ``{name}`` in ``path``, documented and checked there): a request whose id has
    the form the route takes is answered by ``handle`` without the router; any other goes on
    to the router, which refuses it."""
    full = router.prefix + path
    head, _, rest = full.partition("{")
    name, _, tail = rest.partition("}")

    async def endpoint(request: Request) -> Response:
        caller, body = await command_input(request, schema, platform_command)
        return await handle(request, caller, body, request.path_params[name])
    LANE_IDS.append(IdCommand(head, tail, name, PATH_ID, endpoint))


# -- money in and out ----------------------------------------------------------------------
@lane_command("/recharges", s.Recharge)
async def recharge(request: Request, caller: Principal, body: s.Recharge) -> Response:
    """Quick-pay recharge under a standing authorization (otherwise use a page)."""
    return answer(request, await set_based(request, tenant(caller), "recharge", CardRequest(
        body.request_no, body.user_id, body.card_no, body.amount_fen)))


@lane_command("/red-packets", s.RedPacket)
async def red_packet(request: Request, caller: Principal, body: s.RedPacket) -> Response:
    """A cash red packet from the platform's marketing account to a user."""
    return answer(request, await set_based(request, tenant(caller), "red_packet", (
        body.request_no, body.user_id, body.amount_fen)))


@lane_command("/bids", s.Bid)
async def bid(request: Request, caller: Principal, body: s.Bid) -> Response:
    """A bid under a standing authorization (otherwise use a page). Concurrent bids are
    placed together, set-based, in arrival order: what is left of a project is decided bid
    by bid, so a flash raise fills it exactly and the last bids are refused ``project_full``
    or ``bid_exceeds_remaining``, never over-raised."""
    return answer(request, await set_based(request, tenant(caller), "bid", BidRequest(
        body.request_no, body.user_id, body.project_id, body.amount_fen, body.red_packet_fen,
        body.coupon_rate)))


@router.post("/red-packet-batches", response_model=s.Listing)
def red_packet_batch(request: Request, body: s.RedPacketBatch, caller: Caller) -> Response:
    """A campaign: up to 5,000 red packets in one transaction, each with its own request no.,
    answered one by one (``items``: status ok or code, like single red packets)."""
    answers = bank(request).custody.red_packets(
        tenant(caller), [(p.request_no, p.user_id, p.amount_fen) for p in body.packets])
    return respond(request, 200, {"items": [
        {"request_no": a.request_no, "status": "ok" if a.ok else "rejected", "code": a.code,
         "replayed": a.replayed, "data": a.data} for a in answers]})


@lane_command("/withdrawals", s.Withdrawal)
async def withdraw(request: Request, caller: Principal, body: s.Withdrawal) -> Response:
    """Withdrawal under a standing authorization (otherwise use a page)."""
    return answer(request, await set_based(request, tenant(caller), "withdraw", CardRequest(
        body.request_no, body.user_id, body.card_no, body.amount_fen)))


@router.get("/withdrawals/{withdrawal_no}", response_model=s.View)
def get_withdrawal(request: Request, withdrawal_no: PathId, caller: Caller) -> Response:
    return respond(request, 200, bank(request).queries.withdrawal(tenant(caller),
                                                                  withdrawal_no))


# -- the platform itself -------------------------------------------------------------------
@router.get("/platform/settings", response_model=s.View)
def get_settings(request: Request, caller: Caller) -> Response:
    return respond(request, 200, bank(request).queries.settings(tenant(caller)))


@router.patch("/platform/settings", response_model=s.View)
@router.put("/platform/settings", response_model=s.View)
def update_settings(request: Request, body: s.Settings, caller: Caller) -> Response:
    """Change the settings the body names, and only those (``null`` clears one); PUT is the
    same partial update. Any field ``Settings`` declares is taken, with no code of its own."""
    queries = bank(request).queries
    sent = body.model_dump(exclude_unset=True)
    if sent.get("callback_url") is not None:
        check_callback_url(request, sent["callback_url"])
    return respond(request, 200, queries.set_settings(tenant(caller), **sent))


# -- hosted pages (account opening and everything that needs the password) ------------------
@router.post("/pages", response_model=s.PageCreated, tags=["pages"])
def create_page(request: Request, body: s.PageRequest, caller: Caller) -> Response:
    params = body.model_dump(mode="json", exclude={"action", "request_no", "return_url"})
    session = bank(request).pages.create(tenant(caller), body.action, body.request_no, params,
                                         body.return_url)
    url = str(request.url_for("page_form", token=session.token))
    return respond(request, 200, {"page_url": url, "expires_at": session.expires_at.isoformat()})


# -- users and cards -----------------------------------------------------------------------
@router.get("/users/{user_id}", response_model=s.View)
def get_user(request: Request, user_id: PathId, caller: Caller) -> Response:
    return respond(request, 200, bank(request).queries.user(tenant(caller), user_id))


@router.post("/users/{user_id}/cards", response_model=s.CommandOk)
def bind_card(request: Request, user_id: PathId, body: s.CardBind, caller: Caller) -> Response:
    return answer(request, bank(request).custody.bind_card(
        tenant(caller), body.request_no, user_id, body.card_no))


@router.post("/users/{user_id}/cards/unbind", response_model=s.CommandOk)
def unbind_card(request: Request, user_id: PathId, body: s.CardBind,
                caller: Caller) -> Response:
    return answer(request, bank(request).custody.unbind_card(
        tenant(caller), body.request_no, user_id, body.card_no))


@router.post("/users/{user_id}/cards/replace", response_model=s.CommandOk)
def replace_card(request: Request, user_id: PathId, body: s.CardReplace,
                 caller: Caller) -> Response:
    return answer(request, bank(request).custody.replace_card(
        tenant(caller), body.request_no, user_id, body.old_card_no, body.new_card_no))


@router.post("/users/{user_id}/authorizations/{kind}/revoke", response_model=s.CommandOk)
def revoke_authorization(request: Request, user_id: PathId,
                         kind: Annotated[str, Path(pattern="^(recharge|bid|repay|withdraw)$")],
                         body: s.Approval, caller: Caller) -> Response:
    return answer(request, bank(request).custody.revoke_authorization(
        tenant(caller), body.request_no, user_id, kind))


@router.get("/users/{user_id}/claims", response_model=s.Listing)
def user_claims(request: Request, user_id: PathId, caller: Caller) -> Response:
    items = bank(request).queries.claims(tenant(caller), holder_user_id=user_id)
    return respond(request, 200, {"items": items})


# -- projects, bids, lending, repayment -----------------------------------------------------
@router.post("/projects", response_model=s.CommandOk)
async def register_project(request: Request, body: s.Project, caller: Command) -> Response:
    return answer(request, await set_based(request, tenant(caller), "register_project",
                                           ProjectTerms(**body.model_dump())))


@router.post("/projects/exchange", response_model=s.CommandOk)
def register_exchange_project(request: Request, body: s.ExchangeProject,
                              caller: Caller) -> Response:
    """An exchange-originated project (R-C8): the project with its loan contract and
    disbursement record, one contract and one disbursement backing one project."""
    terms = ProjectTerms(body.request_no, **body.model_dump(exclude={"request_no", "origin"}))
    origin = ExchangeOrigin(**body.origin.model_dump())
    return answer(request, ExchangeProjects(bank(request).custody).register(
        tenant(caller), terms, origin))


@router.get("/projects/{project_id}", response_model=s.View)
def get_project(request: Request, project_id: PathId, caller: Caller) -> Response:
    return respond(request, 200, bank(request).queries.project(tenant(caller), project_id))


@router.get("/projects/{project_id}/schedule", response_model=s.Listing)
def project_schedule(request: Request, project_id: PathId, caller: Caller) -> Response:
    items = bank(request).queries.schedule(tenant(caller), project_id)
    return respond(request, 200, {"items": items})


@router.get("/projects/{project_id}/claims", response_model=s.Listing)
def project_claims(request: Request, project_id: PathId, caller: Caller) -> Response:
    items = bank(request).queries.claims(tenant(caller), project_id=project_id)
    return respond(request, 200, {"items": items})


def _project_command(operation: str, summary: str) -> None:
    """A step of a project's life: set-based with the concurrent requests of the same step
    when the step has a set-based form, on its own otherwise."""
    async def step(request: Request, caller: Principal, body: s.Approval,
                   project_id: str) -> Response:
        return answer(request, await set_based(request, tenant(caller), operation,
                                               ProjectStep(body.request_no, project_id)))

    async def grouped(request: Request, project_id: PathId, body: s.Approval,
                      caller: Command) -> Response:
        return await step(request, caller, body, project_id)

    def alone(request: Request, project_id: PathId, body: s.Approval,
              caller: Caller) -> Response:
        run = getattr(bank(request).custody, operation)
        return answer(request, run(tenant(caller), body.request_no, project_id))
    endpoint = grouped if operation in SET_BASED_CALLS else alone
    endpoint.__name__ = operation
    path = f"/projects/{{project_id}}/{operation.replace('_', '-')}"
    router.add_api_route(path, endpoint, methods=["POST"], summary=summary,
                         response_model=s.CommandOk)
    if operation in SET_BASED_CALLS:
        lane_id_command(path, s.Approval, step)


for _operation, _summary in (("lend", "Lend a full project (one linked batch)"),
                             ("fail_raise", "Release every bid of a project that failed"),
                             ("repay", "Freeze the due installment (standing authorization)"),
                             ("repay_early", "Repay early (standing authorization)"),
                             ("settle_repayment", "Pay a frozen installment to the investors")):
    _project_command(_operation, _summary)


@router.post("/projects/{project_id}/compensate", response_model=s.CommandOk)
def compensate(request: Request, project_id: PathId, body: s.Compensation,
               caller: Caller) -> Response:
    """The guarantor pays the due installment (risk-reserve payouts are the bank's call)."""
    return answer(request, bank(request).custody.compensate(
        tenant(caller), body.request_no, project_id, body.payer))


@router.post("/batches", response_model=s.CommandOk)
def submit_batch(request: Request, body: s.Batch, caller: Caller) -> Response:
    return answer(request, bank(request).batches.submit(
        tenant(caller), body.batch_no, body.kind, list(body.project_ids)))


@router.get("/batches/{batch_no}", response_model=s.View)
def get_batch(request: Request, batch_no: PathId, caller: Caller) -> Response:
    return respond(request, 200, bank(request).batches.batch(tenant(caller), batch_no))


# -- debt transfer and finance plans --------------------------------------------------------
@router.post("/claims/{claim_id}/listings", response_model=s.CommandOk)
def list_claim(request: Request, claim_id: PathId, body: s.ClaimListing,
               caller: Caller) -> Response:
    return answer(request, bank(request).custody.list_claim(
        tenant(caller), body.request_no, claim_id, body.seller_user_id, body.price_fen,
        body.fee_rate))


@router.post("/listings/{listing_id}/purchase", response_model=s.CommandOk)
async def buy_claim(request: Request, listing_id: PathId, body: s.ClaimPurchase,
                    caller: Command) -> Response:
    """Buy a listed claim under the buyer's standing bid authorization. Concurrent purchases
    are run together, set-based, in arrival order: a listing is sold once, the later
    purchases of it refused ``listing_not_open``."""
    return await _purchase(request, caller, body, listing_id)


async def _purchase(request: Request, caller: Principal, body: s.ClaimPurchase,
                    listing_id: str) -> Response:
    return answer(request, await set_based(request, tenant(caller), "buy_claim", ClaimPurchase(
        body.request_no, listing_id, body.buyer_user_id)))


lane_id_command("/listings/{listing_id}/purchase", s.ClaimPurchase, _purchase)


@router.post("/listings/{listing_id}/cancel", response_model=s.CommandOk)
def cancel_listing(request: Request, listing_id: PathId, body: s.Approval,
                   caller: Caller) -> Response:
    return answer(request, bank(request).custody.cancel_listing(
        tenant(caller), body.request_no, listing_id))


@router.post("/plans", response_model=s.CommandOk)
def create_plan(request: Request, body: s.Plan, caller: Caller) -> Response:
    return answer(request, bank(request).custody.create_plan(
        tenant(caller), body.request_no, body.plan_id, body.name, body.annual_rate,
        body.term_days))


@router.post("/plans/{plan_id}/purchases", response_model=s.CommandOk)
def purchase_plan(request: Request, plan_id: PathId, body: s.PlanPurchase,
                  caller: Caller) -> Response:
    return answer(request, bank(request).custody.purchase_plan(
        tenant(caller), body.request_no, body.user_id, plan_id, body.amount_fen))


@router.post("/plan-holdings/{holding_id}/match", response_model=s.CommandOk)
def match_plan(request: Request, holding_id: PathId, body: s.PlanMatch,
               caller: Caller) -> Response:
    return answer(request, bank(request).custody.match_plan(
        tenant(caller), body.request_no, holding_id, body.project_id, body.amount_fen))


@router.post("/plan-holdings/{holding_id}/redeem", response_model=s.CommandOk)
def redeem_plan(request: Request, holding_id: PathId, body: s.Approval,
                caller: Caller) -> Response:
    return answer(request, bank(request).custody.redeem_plan(
        tenant(caller), body.request_no, holding_id))


# -- balances, fund log, requests, events ---------------------------------------------------
@router.get("/accounts/{account_no}", response_model=s.View)
def get_account(request: Request, account_no: PathId, caller: Caller) -> Response:
    account = bank(request).ledger.account(tenant(caller), account_no)
    return respond(request, 200, {
        "account_no": account.account_no, "status": account.status.value,
        "balance_fen": account.balance_fen, "frozen_fen": account.frozen_fen,
        "available_fen": account.available_fen})


@router.get("/accounts/{account_no}/log", response_model=s.Listing)
def fund_log(request: Request, account_no: PathId, caller: Caller,
             date_from: Annotated[s.Day | None, Query()] = None,
             date_to: Annotated[s.Day | None, Query()] = None,
             after_seq: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
             limit: Annotated[int, Query(ge=1, le=limits.page_rows_max)] = 100) -> Response:
    bank(request).ledger.account(tenant(caller), account_no)   # unknown → account_not_found
    lines = bank(request).ledger.fund_log(tenant(caller), account_no, date_from=date_from,
                                          date_to=date_to, after_seq=after_seq, rows_max=limit)
    return respond(request, 200, {"items": [_line(line) for line in lines]})


def _line(line: Any) -> dict[str, object]:
    return {k: v.value if isinstance(v, Enum) else v
            for k, v in dataclasses.asdict(line).items()}


@router.get("/requests/{request_no}", response_model=s.View)
def request_status(request: Request, request_no: PathId, caller: Caller) -> Response:
    """What became of a request, by its serial no. (R-C21)."""
    found = bank(request).custody.request_status(tenant(caller), request_no)
    if found is None:
        raise CustodyError("request_not_found", f"no request {request_no}")
    return respond(request, 200, found)


@router.get("/events", response_model=s.Listing)
def events(request: Request, caller: Caller,
           after: Annotated[int, Query(ge=0, le=limits.id_max,
                                       description="The last seq you have")] = 0,
           limit: Annotated[int, Query(ge=1, le=limits.events_per_page_max)] = 100
           ) -> Response:
    """Every result since the cursor, oldest first; the same events the callbacks carry."""
    found = bank(request).outbox.events_since(tenant(caller), after, limit)
    return respond(request, 200, {"items": [event.body() for event in found]})

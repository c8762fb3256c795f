"""Endpoints for the bank's operators: onboarding platforms, keys, money the bank itself sees
arrive or leave (funding, offline transfers, channel results), reviews and dead letters."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from cunguan.core import limits
from cunguan.custody import schemas as s
from cunguan.custody.handlers.service import ChannelAnswer
from cunguan.custody.routes import PathId
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.refusals import CustodyError
from cunguan.platform.access import Principal
from cunguan.platform.edge import (
    ERROR_RESPONSES,
    SignedRoute,
    answer,
    bank,
    check_callback_url,
    operator,
    operator_command,
    respond,
    set_based,
)

Operator = Annotated[Principal, Depends(operator)]
#: The caller of an operation with a set-based form (its nonce recorded with the command).
OperatorCommand = Annotated[Principal, Depends(operator_command)]
Tenant = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
router = APIRouter(prefix="/v1/operator", tags=["operator"],
                   responses=ERROR_RESPONSES, route_class=SignedRoute)
_FUNDABLE = {"own": chart.OWN, "marketing": chart.MARKETING, "risk_reserve": chart.RISK_RESERVE,
             "interest": chart.INTEREST}


# Channel results first: the busiest operator endpoint (routes are tried in order).
@router.post("/platforms/{tenant_id}/withdrawals/{withdrawal_no}/channel-result",
             response_model=s.CommandOk)
async def channel_result(request: Request, tenant_id: Tenant, withdrawal_no: PathId,
                         body: s.ChannelResult, caller: OperatorCommand) -> Response:
    return answer(request, await set_based(request, tenant_id, "channel_result", ChannelAnswer(
        body.request_no, withdrawal_no, body.succeeded)))


@router.post("/platforms", response_model=s.IssuedKey)
def onboard(request: Request, body: s.Onboarding, caller: Operator) -> Response:
    """Open a platform (its tenant and chart of accounts) and issue its first key."""
    b = bank(request)
    if body.callback_url is not None:
        check_callback_url(request, body.callback_url)
    b.custody.onboard_platform(body.tenant_id, body.name, body.accounting_date)
    b.queries.set_settings(body.tenant_id, callback_url=body.callback_url,
                           return_url_prefix=body.return_url_prefix)
    issued = b.access.issue("platform", body.tenant_id)
    return respond(request, 200, {"key_id": issued.key_id, "secret": issued.secret,
                                  "tenant_id": body.tenant_id})


@router.post("/platforms/{tenant_id}/keys", response_model=s.IssuedKey)
def issue_key(request: Request, tenant_id: Tenant, body: s.KeyRequest,
              caller: Operator) -> Response:
    issued = bank(request).access.issue("platform", tenant_id,
                                        sm2_public_key=body.sm2_public_key)
    return respond(request, 200, {"key_id": issued.key_id, "secret": issued.secret,
                                  "tenant_id": tenant_id})


@router.post("/platforms/{tenant_id}/fundings", response_model=s.CommandOk)
def fund(request: Request, tenant_id: Tenant, body: s.Funding, caller: Operator) -> Response:
    """The bank saw the platform's own money arrive for one of its accounts."""
    return answer(request, bank(request).custody.fund_platform(
        tenant_id, body.request_no, _FUNDABLE[body.account], body.amount_fen))


@router.post("/platforms/{tenant_id}/users/{user_id}/approve", response_model=s.CommandOk)
def approve_user(request: Request, tenant_id: Tenant, user_id: PathId, body: s.Approval,
                 caller: Operator) -> Response:
    return answer(request, bank(request).custody.approve_user(tenant_id, body.request_no,
                                                              user_id))


@router.post("/platforms/{tenant_id}/withdrawals/{withdrawal_no}/review",
             response_model=s.CommandOk)
def review_withdrawal(request: Request, tenant_id: Tenant, withdrawal_no: PathId,
                      body: s.Review, caller: Operator) -> Response:
    return answer(request, bank(request).custody.review_withdrawal(
        tenant_id, body.request_no, withdrawal_no, body.approved))


@router.post("/platforms/{tenant_id}/withdrawals/{withdrawal_no}/statement-reversal",
             response_model=s.CommandOk)
def statement_reversal(request: Request, tenant_id: Tenant, withdrawal_no: PathId,
                       body: s.Approval, caller: Operator) -> Response:
    return answer(request, bank(request).custody.statement_reversal(
        tenant_id, body.request_no, withdrawal_no))


@router.post("/platforms/{tenant_id}/channel-settlements", response_model=s.CommandOk)
def settle_channel(request: Request, tenant_id: Tenant, body: s.ChannelSettlement,
                   caller: Operator) -> Response:
    return answer(request, bank(request).custody.settle_channel(
        tenant_id, body.request_no, body.settle_on))


@router.post("/platforms/{tenant_id}/offline-transfers", response_model=s.CommandOk)
def offline_transfer(request: Request, tenant_id: Tenant, body: s.OfflineTransfer,
                     caller: Operator) -> Response:
    return answer(request, bank(request).custody.offline_transfer(
        tenant_id, body.request_no, body.payer_card_no, body.amount_fen))


@router.post("/platforms/{tenant_id}/projects/{project_id}/compensate", response_model=s.CommandOk)
def compensate(request: Request, tenant_id: Tenant, project_id: PathId,
               body: s.OperatorCompensation, caller: Operator) -> Response:
    """Compensation, including from the risk reserve, which platforms cannot debit."""
    return answer(request, bank(request).custody.compensate(
        tenant_id, body.request_no, project_id, body.payer))


@router.post("/platforms/{tenant_id}/batches/{batch_no}/retrigger", response_model=s.CommandOk)
def retrigger(request: Request, tenant_id: Tenant, batch_no: PathId, body: s.Approval,
              caller: Operator) -> Response:
    return answer(request, bank(request).batches.retrigger(tenant_id, body.request_no,
                                                           batch_no))


# -- migrations (R-C20): funding arrived, maker, checker, rejection -----------------------
@router.get("/platforms/{tenant_id}/migrations/{migration_id}", response_model=s.View,
            tags=["migration"])
def get_migration(request: Request, tenant_id: Tenant, migration_id: PathId,
                  caller: Operator) -> Response:
    return respond(request, 200, bank(request).migration.view(tenant_id, migration_id,
                                                              operator=True))


@router.post("/platforms/{tenant_id}/migrations/{migration_id}/fundings",
             response_model=s.CommandOk, tags=["migration"])
def fund_migration(request: Request, tenant_id: Tenant, migration_id: PathId,
                   body: s.MigrationFunding, caller: Operator) -> Response:
    """The platform's funding transfer for a migration arrived at the bank."""
    return answer(request, bank(request).migration.fund(
        tenant_id, body.request_no, migration_id, body.amount_fen, body.payer_account_no,
        body.reference))


@router.post("/platforms/{tenant_id}/migrations/{migration_id}/approve",
             response_model=s.CommandOk, tags=["migration"])
def approve_migration(request: Request, tenant_id: Tenant, migration_id: PathId,
                      body: s.Approval, caller: Operator) -> Response:
    """The first approval is the maker's; the second, with another operator key, is the
    checker's and credits the balances (only on funding of exactly the balance total)."""
    return answer(request, bank(request).migration.approve(tenant_id, body.request_no,
                                                           migration_id, caller.key_id))


@router.post("/platforms/{tenant_id}/migrations/{migration_id}/reject",
             response_model=s.CommandOk, tags=["migration"])
def reject_migration(request: Request, tenant_id: Tenant, migration_id: PathId,
                     body: s.MigrationRejection, caller: Operator) -> Response:
    """Refuse a migration not yet applied; any funding that arrived is returned."""
    return answer(request, bank(request).migration.reject(
        tenant_id, body.request_no, migration_id, caller.key_id, body.reason))


@router.get("/dead-letters", response_model=s.Listing)
def dead_letters(request: Request, caller: Operator,
                 tenant_id: Annotated[s.TenantId | None, Query()] = None) -> Response:
    return respond(request, 200, {"items": bank(request).outbox.dead_letters(tenant_id)})


@router.post("/dead-letters/{event_id}/redeliver", response_model=s.View)
def redeliver(request: Request, event_id: Annotated[int, Path(ge=1, le=limits.id_max)],
              caller: Operator) -> Response:
    if not bank(request).outbox.redeliver(event_id):
        raise CustodyError("event_not_found", f"no dead-lettered event {event_id}")
    return respond(request, 200, {"event_id": event_id, "delivery": "pending"})

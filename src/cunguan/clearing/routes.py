"""BEPS over the signed API: participants (clearing banks, each with a participant key whose
tenant is its bank code) send packages, answer items, take exceptions and read their own items,
position and events; the NPC's operators set participants and caps up and run sessions,
settlement and cutover. A bank sees only its own items and positions: another bank's item is
``item_not_found``. Bodies are JSON objects checked by the clearing context's own rules
(``clearing/rules/commands.py``), so the API, the CLI and Python refuse alike."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from cunguan.clearing.handlers.service import ClearingService
from cunguan.core import limits
from cunguan.core.errors import present
from cunguan.platform.access import Principal
from cunguan.platform.edge import (
    ERROR_RESPONSES,
    SignedRoute,
    bank,
    json_object,
    operator,
    participant,
    respond,
    respond_ok,
)

Participant = Annotated[Principal, Depends(participant)]
Operator = Annotated[Principal, Depends(operator)]
BankCode = Annotated[str, Path(min_length=12, max_length=12, pattern=r"^[0-9]{12}$")]
ItemId = Annotated[str, Path(min_length=1, max_length=limits.clearing_item_id_length_max)]
router = APIRouter(prefix="/v1", tags=["clearing"], responses=ERROR_RESPONSES,
                   route_class=SignedRoute)


def _clearing(request: Request) -> ClearingService:
    found: ClearingService = bank(request).clearing
    return found


def _own(caller: Principal) -> str:
    return present(caller.tenant_id, "participant() lets only bank keys through")


# -- participants -----------------------------------------------------------------------------
@router.post("/clearing/packages")
async def submit_package(request: Request, caller: Participant) -> Response:
    """A package of the caller's (or its indirect participants') items (R-S1, R-S2)."""
    raw = await json_object(request)
    intake = await run_in_threadpool(_clearing(request).submit_package, raw,
                                     by_bank=_own(caller))
    return respond(request, 200, {"status": "ok", "data": {
        "package_no": intake.package_no, "message_id": intake.message_id,
        "items": dict(intake.states)}}, replayed=intake.replayed)


@router.post("/clearing/answers")
async def answer(request: Request, caller: Participant) -> Response:
    """The caller's answer to real-time items or debits sent to it (R-S4, R-S8)."""
    raw = await json_object(request)
    return await respond_ok(request, _clearing(request).answer_items, raw.get("item_ids"),
                     _own(caller), paid=raw.get("paid"))


@router.post("/clearing/credited")
async def credited(request: Request, caller: Participant) -> Response:
    """The caller credited its customers with these items: no return any more (R-S7)."""
    raw = await json_object(request)
    await run_in_threadpool(_clearing(request).credit_payees, raw.get("item_ids"),
                            _own(caller))
    return respond(request, 200, {"status": "ok", "data": {}})


@router.post("/clearing/revocations")
async def revoke(request: Request, caller: Participant) -> Response:
    raw = await json_object(request)
    return await respond_ok(request, _clearing(request).revoke, raw.get("sender_bank"),
                     raw.get("message_id"), _own(caller))


@router.post("/clearing/items/{item_id}/reversal")
async def reverse(request: Request, item_id: ItemId, caller: Participant) -> Response:
    return await respond_ok(request, _clearing(request).reverse, item_id, _own(caller))


@router.post("/clearing/items/{item_id}/stop")
async def stop(request: Request, item_id: ItemId, caller: Participant) -> Response:
    return await respond_ok(request, _clearing(request).request_stop, item_id, _own(caller))


@router.post("/clearing/items/{item_id}/stop-answer")
async def stop_answer(request: Request, item_id: ItemId, caller: Participant) -> Response:
    raw = await json_object(request)
    return await respond_ok(request, _clearing(request).answer_stop, item_id, _own(caller),
                     accepted=raw.get("accepted"))


@router.post("/clearing/items/{item_id}/return")
async def return_item(request: Request, item_id: ItemId, caller: Participant) -> Response:
    return await respond_ok(request, _clearing(request).return_item, item_id, _own(caller))


@router.get("/clearing/items/{item_id}")
async def item(request: Request, item_id: ItemId, caller: Participant) -> Response:
    return await respond_ok(request, _clearing(request).item, item_id, for_bank=_own(caller))


@router.get("/clearing/position")
async def position(request: Request, caller: Participant) -> Response:
    """The caller's unsettled position and what is left of its cap (R-S3)."""
    return await respond_ok(request, _clearing(request).available_cap, _own(caller))


@router.get("/clearing/events")
async def events(request: Request, caller: Participant,
                 after: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
                 limit: Annotated[int, Query(ge=1, le=limits.events_per_page_max)] = 100
                 ) -> Response:
    """The caller's receipts, session results and cap warnings after the cursor."""
    return await respond_ok(request, _clearing(request).events, _own(caller), after=after,
                     limit=limit)


# -- the NPC's operators ---------------------------------------------------------------------
@router.post("/operator/clearing/participants")
async def add_participant(request: Request, caller: Operator) -> Response:
    raw = await json_object(request)
    member = await run_in_threadpool(
        _clearing(request).add_participant, raw.get("bank_code"), raw.get("name"),
        raw.get("role"), raw.get("clearing_bank_code"))
    return respond(request, 200, {"status": "ok", "data": {
        "bank_code": member.bank_code, "role": member.role.value,
        "clearing_bank_code": member.clearing_bank_code}})


@router.post("/operator/clearing/participants/{code}/keys")
async def issue_key(request: Request, code: BankCode, caller: Operator) -> Response:
    """A participant key for a registered bank; its secret is shown once, here."""
    clearing = _clearing(request)
    await run_in_threadpool(clearing.participant, code)
    issued = await run_in_threadpool(bank(request).access.issue, "participant", code)
    return respond(request, 200, {"key_id": issued.key_id, "secret": issued.secret,
                                  "bank_code": code})


@router.put("/operator/clearing/participants/{code}/cap")
async def set_cap(request: Request, code: BankCode, caller: Operator) -> Response:
    raw = await json_object(request)
    return await respond_ok(request, _clearing(request).set_cap, code,
                     collateral_fen=raw.get("collateral_fen"),
                     haircut_bps=raw.get("haircut_bps"),
                     credit_line_fen=raw.get("credit_line_fen"))


@router.post("/operator/clearing/participants/{code}/fundings")
async def fund(request: Request, code: BankCode, caller: Operator) -> Response:
    raw = await json_object(request)
    result = await run_in_threadpool(_clearing(request).fund, raw.get("request_no"), code,
                                     raw.get("amount_fen"))
    return respond(request, 200, {"status": "ok", "data": {"tx_id": result.tx_id}},
                   replayed=result.replayed)


@router.post("/operator/clearing/participants/{code}/earmarks")
async def earmark(request: Request, code: BankCode, caller: Operator) -> Response:
    raw = await json_object(request)
    return await respond_ok(request, _clearing(request).earmark, raw.get("request_no"), code,
                     raw.get("amount_fen"))


@router.get("/operator/clearing/positions")
async def positions(request: Request, caller: Operator) -> Response:
    return await respond_ok(request, _clearing(request).positions)


@router.get("/operator/clearing/queue")
async def queue(request: Request, caller: Operator) -> Response:
    return await respond_ok(request, _clearing(request).queue)


@router.post("/operator/clearing/sessions/close")
async def close_sessions(request: Request, caller: Operator) -> Response:
    return await respond_ok(request, _clearing(request).close_sessions)


@router.post("/operator/clearing/settlement")
async def settle(request: Request, caller: Operator) -> Response:
    return await respond_ok(request, _clearing(request).settle)


@router.post("/operator/clearing/cutover")
async def cutover(request: Request, caller: Operator) -> Response:
    return await respond_ok(request, _clearing(request).cutover)


@router.post("/operator/clearing/day-end")
async def day_end(request: Request, caller: Operator) -> Response:
    """Reconcile a cut-over day top-down and bill its fees (R-S9); body: ``work_date`` and
    optionally ``reports`` (participants' own figures)."""
    raw = await json_object(request)
    return await respond_ok(request, _clearing(request).day_end, raw.get("work_date"),
                     reports=raw.get("reports"))

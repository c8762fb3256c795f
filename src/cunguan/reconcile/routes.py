"""Reconciliation's endpoints: a platform fetches its daily reconciliation file (R-C22), an
operator fetches any platform's, uploads bank statements (R-B2, R-C15: a custody account's
statement reverses returned payouts, a channel's file settles recharges, in the same import),
matches an account's day, works breaks (maker and checker: two operators' keys), runs a day's
checks and downloads the reserve-fund reports (R-B2, R-B3, R-B5). Each verifies its
caller (the platform acts inside its own tenant only), calls one reconciliation handler and
answers; nothing here decides a rule.

The file comes back as ``text/csv`` with its own signature in the ``X-Cunguan-File-*``
headers (HMAC-SHA256 with the platform's newest key over the file's bytes, docs/API.md
"Reconciliation files"), besides the response's signature every answer carries.
"""

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from cunguan.core import fields, limits
from cunguan.core.fields import FieldInvalid
from cunguan.custody import schemas as s
from cunguan.platform.access import Principal
from cunguan.platform.bank import Bank
from cunguan.platform.edge import (
    ERROR_RESPONSES,
    SignedRoute,
    bank,
    json_object,
    operator,
    operator_upload,
    platform,
    respond,
    respond_bytes,
    respond_ok,
    tenant,
)
from cunguan.reconcile.handlers.platform_files import PlatformFile, platform_file
from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal

Caller = Annotated[Principal, Depends(platform)]
Operator = Annotated[Principal, Depends(operator)]
#: The day as written in the path; its form (YYYY-MM-DD) is the handler's to judge.
Day = Annotated[str, Path(min_length=1, max_length=32)]
Tenant = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
CSV = "text/csv; charset=utf-8"

router = APIRouter(prefix="/v1", tags=["platform"], responses=ERROR_RESPONSES,
                   route_class=SignedRoute)
operator_router = APIRouter(prefix="/v1/operator", tags=["operator"],
                            responses=ERROR_RESPONSES,
                            route_class=SignedRoute)

_FILE_DOC = {200: {"content": {"text/csv": {}},
                   "description": "The file (UTF-8 CSV), signed in X-Cunguan-File-* headers"}}


def _file(found: Bank, tenant_id: str, business_date: str) -> PlatformFile:
    return platform_file(found.engine, found.clock, tenant_id, business_date,
                         found.access.platform_secret(tenant_id))


def _answer(request: Request, made: PlatformFile) -> Response:
    name = f"reconciliation-{made.tenant_id}-{made.business_date.isoformat()}.csv"
    return respond_bytes(request, made.content, CSV, {
        **made.headers(), "Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/reconciliation-files/{business_date}", responses=_FILE_DOC,  # type: ignore[arg-type]
            response_class=Response)
async def reconciliation_file(request: Request, business_date: Day,
                              caller: Caller) -> Response:
    """The platform's reconciliation file of a closed accounting day (R-C22): every movement
    of its users' and its own accounts that day, with control totals. Made on the first
    request and the same bytes, signed alike, every time after; an open day is refused
    ``day_not_closed``."""
    made = await run_in_threadpool(_file, bank(request), tenant(caller), business_date)
    return _answer(request, made)


@operator_router.get("/platforms/{tenant_id}/reconciliation-files/{business_date}",
                     responses=_FILE_DOC,  # type: ignore[arg-type]
                     response_class=Response)
async def platform_reconciliation_file(request: Request, tenant_id: Tenant, business_date: Day,
                                       caller: Operator) -> Response:
    """A platform's reconciliation file, as the platform gets it (signed with its key)."""
    made = await run_in_threadpool(_file, bank(request), tenant_id, business_date)
    return _answer(request, made)


_STATEMENT_UPLOAD = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}}
#: The format a statement is read in, and the account it must be of (judged by the import).
Format = Annotated[str, Query(min_length=1, max_length=32, description=(
    "csv:<bank>, xlsx:<bank>, mt940, camt.053, camt.054, channel:quickpay"))]
Account = Annotated[str | None, Query(min_length=1, max_length=64,
                                      description="the bank account it must be of")]


async def _statement_file(request: Request) -> bytes:
    """The upload's one file, ``file``."""
    form = await request.form()    # the signed body, read once by the signature check
    items = form.multi_items()
    if len(items) != 1 or items[0][0] != "file" or not isinstance(items[0][1], UploadFile):
        raise ReconcileError(Refusal.FIELD_INVALID, "file: send one statement file as `file`",
                             field="file", reason="one file, named file")
    return await items[0][1].read()


@operator_router.post("/reconcile/statements", response_model=s.View,
                      openapi_extra=_STATEMENT_UPLOAD)
async def upload_statement(request: Request, format: Format,
                           caller: Annotated[Principal, Depends(operator_upload)],
                           account: Account = None) -> Response:
    """Import a bank statement (R-B2): parsed whole in the format named, refused whole with
    the line and the reason, idempotent by the file's hash and the statement id (the same
    file again answers the first import, ``replayed``). The operator's key id is recorded as
    who imported it."""
    data = await _statement_file(request)
    service = _service(request)
    imported = await run_in_threadpool(lambda: service.import_file(
        data, format, operator=caller.key_id, account_no=account))
    return respond(request, 200, {**asdict(imported), "reversed": imported.reversed,
                                  "settled_days": imported.settled_days,
                                  "breaks": imported.breaks})


# -- the operators' reconciliation work (R-B2, R-B3, R-B5) -----------------------------------
BreakId = Annotated[int, Path(ge=1, le=limits.id_max)]
BankAccountNo = Annotated[str, Path(min_length=1, max_length=limits.bank_account_no_length_max,
                                    pattern=r"^[A-Za-z0-9_.:-]+$")]
#: A report's period: a day (YYYY-MM-DD) or a month (YYYY-MM); its form is the handler's.
Period = Annotated[str, Path(min_length=1, max_length=32)]
ReportFormat = Annotated[str, Query(pattern=r"^(xlsx|pdf)$",
                                    description="xlsx (the default) or pdf")]
_MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "pdf": "application/pdf"}
_REPORT_DOC = {200: {"content": {media: {} for media in _MEDIA.values()},
                     "description": "The report set (XLSX or PDF)"}}


def _service(request: Request) -> ReconcileService:
    found = bank(request)
    return ReconcileService(found.engine, found.ledger, clock=found.clock,
                            custody=found.custody)


def _given(raw: dict[str, Any], name: str) -> Any:
    """A field the body must carry (its value judged by the handler)."""
    if name not in raw:
        raise FieldInvalid(name, "is required")
    return raw[name]


BreakCommand = Callable[[ReconcileService, dict[str, Any]], object]


async def _on_break(request: Request, break_id: int, command: BreakCommand) -> Response:
    """Run one of the break workflow's commands with the request's JSON object body and
    answer the break as it now stands; a refusal (the handler's ReconcileError, a missing
    field's FieldInvalid) is the edge's to answer, as from any route."""
    raw = await json_object(request)
    service = _service(request)
    await run_in_threadpool(command, service, raw)
    return await respond_ok(request, service.break_detail, break_id)


@operator_router.post("/reconcile/accounts/{account_no}/days/{business_date}/match",
                      response_model=s.View)
async def match_day(request: Request, account_no: BankAccountNo, business_date: Day,
                    caller: Operator) -> Response:
    """Match a bank account's day T against the books (R-B2 (1), (2)): matches, breaks and
    items in transit written; the same inputs again answer the recorded run (``replayed``)."""
    day = fields.iso_day(business_date, "business_date")
    run = await run_in_threadpool(_service(request).match_day, account_no, day,
                                  operator=caller.key_id)
    return respond(request, 200, {"status": "ok", "data": asdict(run)})


@operator_router.get("/reconcile/breaks", response_model=s.View)
async def breaks(request: Request, caller: Operator,
                 account: Account = None,
                 state: Annotated[str | None, Query(min_length=1, max_length=24)] = None,
                 resolved: Annotated[bool, Query(description="resolved ones too")] = False
                 ) -> Response:
    """Breaks, oldest first: the open ones, or those of ``state``, or all (``resolved``)."""
    return await respond_ok(request, _service(request).breaks, account_no=account, state=state,
                     open_only=not resolved)


@operator_router.get("/reconcile/breaks/{break_id}", response_model=s.View)
async def break_detail(request: Request, break_id: BreakId, caller: Operator) -> Response:
    """A break with everything done to it and its adjustments."""
    return await respond_ok(request, _service(request).break_detail, break_id)


@operator_router.post("/reconcile/breaks/{break_id}/assign", response_model=s.View)
async def assign(request: Request, break_id: BreakId, caller: Operator) -> Response:
    """Give the break its owner (body: ``owner``)."""
    return await _on_break(request, break_id, lambda service, raw: service.assign(
        break_id, _given(raw, "owner"), operator=caller.key_id))


@operator_router.post("/reconcile/breaks/{break_id}/notes", response_model=s.View)
async def note(request: Request, break_id: BreakId, caller: Operator) -> Response:
    """Add a note to the break (body: ``text``)."""
    return await _on_break(request, break_id, lambda service, raw: service.note(
        break_id, _given(raw, "text"), operator=caller.key_id))


@operator_router.post("/reconcile/breaks/{break_id}/adjustment", response_model=s.View)
async def propose(request: Request, break_id: BreakId, caller: Operator) -> Response:
    """Propose an adjustment for an assigned break, as its maker (body: ``kind`` correction or
    write_off, ``debit_account_no``, ``credit_account_no``, ``amount_fen``, ``memo``); another
    operator approves it."""
    return await _on_break(request, break_id, lambda service, raw: service.propose(
        break_id, kind=raw.get("kind", "correction"),
        debit_account_no=_given(raw, "debit_account_no"),
        credit_account_no=_given(raw, "credit_account_no"), amount_fen=_given(raw, "amount_fen"),
        memo=_given(raw, "memo"), operator=caller.key_id))


@operator_router.post("/reconcile/breaks/{break_id}/approval", response_model=s.View)
async def approve(request: Request, break_id: BreakId, caller: Operator) -> Response:
    """Approve the break's adjustment as its checker (not its maker: ``checker_is_maker``);
    the last approval needed posts it. Approving a posted one again is a replay."""
    done = await run_in_threadpool(_service(request).approve, break_id,
                                   operator=caller.key_id)
    return respond(request, 200, {"status": "ok", "data": done},
                   replayed=bool(done["replayed"]))


@operator_router.post("/reconcile/breaks/{break_id}/rejection", response_model=s.View)
async def reject(request: Request, break_id: BreakId, caller: Operator) -> Response:
    """Send the proposed adjustment back (body: ``reason``; not its maker)."""
    return await _on_break(request, break_id, lambda service, raw: service.reject(
        break_id, _given(raw, "reason"), operator=caller.key_id))


@operator_router.post("/reconcile/breaks/{break_id}/resolution", response_model=s.View)
async def resolve(request: Request, break_id: BreakId, caller: Operator) -> Response:
    """Clear the break without posting (body: ``resolution``: the bank corrected it …)."""
    return await _on_break(request, break_id, lambda service, raw: service.resolve(
        break_id, _given(raw, "resolution"), operator=caller.key_id))


@operator_router.post("/reconcile/platforms/{tenant_id}/checks/{business_date}",
                      response_model=s.View)
async def run_checks(request: Request, tenant_id: Tenant, business_date: Day,
                     caller: Operator) -> Response:
    """Run R-B2's seven checks and R-B3's identities for day T; the findings are stored for
    the day (a run replaces the day's earlier ones)."""
    day = fields.iso_day(business_date, "business_date")
    run = await run_in_threadpool(_service(request).run_checks, tenant_id, day)
    return respond(request, 200, {"status": "ok", "data": {
        "day": run.day, "due_by": run.due_by,
        "errors": sum(str(f.severity) == "error" for f in run.findings),
        "findings": [asdict(f) for f in run.findings],
        "identities": [asdict(i) for i in run.identities]}})


@operator_router.get("/reconcile/platforms/{tenant_id}/reports/{period}",
                     responses=_REPORT_DOC,  # type: ignore[arg-type]
                     response_class=Response)
async def report(request: Request, tenant_id: Tenant, period: Period, caller: Operator,
                 format: ReportFormat = "xlsx") -> Response:
    """The reserve-fund report set (R-B5) of a day (YYYY-MM-DD) or a month (YYYY-MM), as an
    XLSX workbook or a PDF."""
    name, content = await run_in_threadpool(_service(request).render_report, tenant_id,
                                            period, format)
    return respond_bytes(request, content, _MEDIA[format], {
        "Content-Disposition": f'attachment; filename="{name}"'})

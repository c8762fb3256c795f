"""Reconciliation's endpoints: a platform fetches its daily reconciliation file (R-C22), an
operator fetches any platform's and uploads bank statements (R-B2, R-C15). Each verifies its
caller (the platform acts inside its own tenant only), calls one reconciliation handler and
answers; nothing here decides a rule.

The file comes back as ``text/csv`` with its own signature in the ``X-Cunguan-File-*``
headers (HMAC-SHA256 with the platform's newest key over the file's bytes, docs/API.md
"Reconciliation files"), besides the response's signature every answer carries.
"""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from cunguan.custody import schemas as s
from cunguan.platform.access import Principal
from cunguan.platform.bank import Bank
from cunguan.platform.edge import (
    ERROR_RESPONSES,
    SignedRoute,
    bank,
    operator,
    operator_upload,
    platform,
    respond,
    respond_bytes,
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
    found = bank(request)
    service = ReconcileService(found.engine, found.ledger, clock=found.clock,
                               custody=found.custody)
    imported = await run_in_threadpool(lambda: service.import_file(
        data, format, operator=caller.key_id, account_no=account))
    return respond(request, 200, {**asdict(imported), "reversed": imported.reversed,
                                  "settled_days": imported.settled_days,
                                  "breaks": imported.breaks})

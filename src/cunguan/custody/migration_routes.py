"""The platform's migration endpoints (R-C20): stage the files, read the report, cancel.
The bank's side (funding, maker and checker) is in ``operator_routes.py``."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from cunguan.custody import schemas as s
from cunguan.custody.routes import Caller, PathId
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.platform.access import Principal
from cunguan.platform.edge import (
    ERROR_RESPONSES,
    SignedRoute,
    answer,
    bank,
    platform_upload,
    respond,
    tenant,
)

router = APIRouter(prefix="/v1", tags=["platform"], responses=ERROR_RESPONSES,
                   route_class=SignedRoute)


_UPLOAD_SCHEMA = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["users"], "properties": {
        name: {"type": "string", "format": "binary"}
        for name in ("users", "projects", "claims")}}}}}}


@router.post("/migrations/{migration_id}", response_model=s.View, tags=["migration"],
             openapi_extra=_UPLOAD_SCHEMA)
async def migrate(request: Request, migration_id: PathId,
                  caller: Annotated[Principal, Depends(platform_upload)]) -> Response:
    """Stage a migration: upload the users (and projects and claims) as CSV files (UTF-8,
    GBK or GB18030). The files are read whole — a file with a wrong header or encoding is
    refused whole, naming the line — and answered with the control totals and a report per
    row. Nothing is credited: the bank credits the balances once the funding transfer for
    exactly ``balance_total_fen`` has arrived and two of its operators approved. The same
    files sent again under the same id replay; other files are refused (409)."""
    form = await request.form()    # the signed body, read once by the signature check
    files: dict[str, Any] = {}     # judged by the service: its names, each a file's bytes
    for name, upload in form.multi_items():
        if name in files:
            raise CustodyError(Refusal.FIELD_INVALID, f"files: {name} is sent twice",
                               field="files", reason=f"{name} is sent twice")
        files[name] = await upload.read() if isinstance(upload, StarletteUpload) else upload
    migration = bank(request).migration
    result = await run_in_threadpool(migration.stage, tenant(caller), migration_id, files)
    if not result.ok:
        return answer(request, result)
    view = migration.view(tenant(caller), migration_id)
    items = [row.public() for row in migration.report(tenant(caller), migration_id)]
    return respond(request, 200, {**view, "items": items}, replayed=result.replayed)


@router.get("/migrations/{migration_id}", response_model=s.View, tags=["migration"])
def get_migration(request: Request, migration_id: PathId, caller: Caller) -> Response:
    """A staged migration's status, control totals and the funding that arrived for it."""
    return respond(request, 200, bank(request).migration.view(tenant(caller), migration_id))


@router.get("/migrations/{migration_id}/rows", response_model=s.Listing, tags=["migration"])
def migration_rows(request: Request, migration_id: PathId, caller: Caller) -> Response:
    """Every row's outcome, in file and line order."""
    report = bank(request).migration.report(tenant(caller), migration_id)
    return respond(request, 200, {"items": [row.public() for row in report]})


@router.post("/migrations/{migration_id}/cancel", response_model=s.CommandOk,
             tags=["migration"])
def cancel_migration(request: Request, migration_id: PathId, body: s.Approval,
                     caller: Caller) -> Response:
    """Withdraw a migration not applied yet, before any money arrived for it."""
    return answer(request, bank(request).migration.cancel(tenant(caller), body.request_no,
                                                          migration_id))

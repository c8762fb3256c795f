"""The FastAPI application: platform and operator endpoints, hosted pages, OpenAPI at
``/openapi.json`` (interactive docs at ``/docs``), and optionally the background worker."""

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from cunguan.clearing import routes as clearing_routes
from cunguan.core import callback_targets, limits
from cunguan.core.errors import CunguanError
from cunguan.core.settings import settings
from cunguan.custody import migration_routes, operator_routes
from cunguan.custody import routes as platform_routes
from cunguan.platform import pages
from cunguan.platform.bank import Bank
from cunguan.platform.body import BodyLimit
from cunguan.platform.callback_sender import HttpSender
from cunguan.platform.edge import (
    envelope,
    operator_upload,
    platform_upload,
    refusal,
    request_id,
    respond,
)
from cunguan.platform.lane import CommandLane
from cunguan.reconcile import routes as reconcile_routes

log = logging.getLogger("cunguan.api")


def create_app(bank: Bank, *, run_worker: bool = False,
               worker_interval_s: float = limits.server_worker_interval_default_s,
               command_lane: bool = True,
               callback_allowed_hosts: frozenset[str] | None = None,
               trusted_proxies: list[str] | None = None) -> FastAPI:
    """The app; ``command_lane=False`` serves the lane commands through the router as well
    (a test compares the two; see platform/lane.py). ``callback_allowed_hosts``: hosts a callback
    URL may name though not public (default: ``CUNGUAN_CALLBACK_ALLOWED_HOSTS``);
    ``trusted_proxies``: whose X-Forwarded-For the pages' rate limit believes (default:
    ``CUNGUAN_TRUSTED_PROXIES``; none)."""
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = (
            limits.api_requests_in_flight_max)
        task = asyncio.create_task(_worker(bank, worker_interval_s)) if run_worker else None
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(title="Cunguan platform API", version="1", lifespan=lifespan,
                  description="Signed requests from platforms to the custody bank. "
                              "See docs/API.md for the signature scheme.")
    app.state.bank = bank
    app.state.fault_kill_path = settings().fault_kill_after_commit_path
    app.state.callback_allowed_hosts = (
        callback_targets.allowed_hosts_from_env() if callback_allowed_hosts is None
        else frozenset(h.lower() for h in callback_allowed_hosts))
    app.state.trusted_proxy = pages.trusted_proxies(
        pages.trusted_proxies_from_env() if trusted_proxies is None else trusted_proxies)
    app.state.credential_reads = {}   # key id → the read of its credential under way
    app.include_router(platform_routes.router)
    app.include_router(migration_routes.router)
    app.include_router(operator_routes.router)
    app.include_router(reconcile_routes.router)
    app.include_router(reconcile_routes.operator_router)
    app.include_router(clearing_routes.router)
    app.include_router(pages.router)
    _handlers(app)
    if command_lane:
        app.add_middleware(CommandLane, endpoints=platform_routes.LANE,
                           handlers=app.exception_handlers, id_commands=platform_routes.LANE_IDS)
    app.add_middleware(BodyLimit, bytes_max=_body_bytes_max())   # outside the lane

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _body_bytes_max() -> Callable[[Scope], int]:
    """A request's body limit: ``api_upload_bytes_max`` on the routes that take uploads
    (their caller is ``edge.platform_upload`` or ``edge.operator_upload``),
    ``api_body_bytes_max`` everywhere else."""
    routes = [*platform_routes.router.routes, *migration_routes.router.routes,
              *operator_routes.router.routes, *reconcile_routes.router.routes,
              *reconcile_routes.operator_router.routes]
    uploads = [route.path_regex for route in routes if isinstance(route, APIRoute)
               and any(d.call in (platform_upload, operator_upload)
                       for d in route.dependant.dependencies)]

    def bytes_max(scope: Scope) -> int:
        if scope.get("method") == "POST" and any(r.match(scope["path"]) for r in uploads):
            return limits.api_upload_bytes_max
        return limits.api_body_bytes_max
    return bytes_max


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(CunguanError)
    async def refused(request: Request, exc: CunguanError) -> Response:
        if request.url.path.startswith("/pages/"):
            return _page_error(exc.code, exc.message)
        return refusal(request, exc.code, exc.message, dict(exc.details))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")}
                  for e in exc.errors()]
        fields = ", ".join(e["field"] for e in errors)
        return refusal(request, "field_invalid", f"invalid or unknown fields: {fields}",
                       {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {400: "body_invalid", 404: "route_not_found", 405: "method_not_allowed",
                413: "body_too_large"}.get(exc.status_code, "http_error")
        return respond(request, exc.status_code,   # signed with its own status
                       envelope(code, str(exc.detail), None, request_id(request)))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, 500, envelope(      # signed with its own status
            "internal_error", "the bank could not answer; retry with the same request no.",
            None, request_id(request)))


def _page_error(code: str, message: str) -> HTMLResponse:
    status = {"rate_limited": 429, "csrf_invalid": 403}.get(code, 404)
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>{code}</title>"
                        f"<h1>{code}</h1><p>{html.escape(message)}</p>", status_code=status)


async def _worker(bank: Bank, interval_s: float) -> None:
    """Batch windows, hold expiry, callbacks, nonce pruning, in this process."""
    sender = HttpSender()
    try:
        while True:
            try:
                done: Any = await run_in_threadpool(bank.worker_pass, sender)
                if done.callbacks or done.batch_items:
                    log.info("worker pass: %s", done)
                if done.callbacks_more_due:   # behind: no rest before the next pass
                    continue
            except Exception:  # keep serving; the next pass retries
                log.exception("worker pass failed")
            await asyncio.sleep(interval_s)
    finally:
        sender.close()

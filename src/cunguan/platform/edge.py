"""What every endpoint shares: who is calling, the error envelope, signed responses.

Every answer is JSON; a refusal is ``{code, message, details, request_id}``. Responses to a
signed request are signed back (HMAC with the caller's secret, or the bank's SM2 key when the
caller signed with SM2) over the status, the request's nonce, a timestamp and the body.
"""

import asyncio
import json
import os
import signal
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pydantic
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from cunguan.core import callback_targets, limits, signing
from cunguan.core.errors import CunguanError, present
from cunguan.core.fields import FieldInvalid
from cunguan.custody.handlers.base import CustodyResult
from cunguan.platform.access import (
    AccessError,
    AccessService,
    Principal,
    SignedRequest,
    nonce_of,
)
from cunguan.platform.bank import Bank
from cunguan.platform.body import json_of
from cunguan.platform.coalescer import Coalescer

REPLAY_HEADER = "Idempotent-Replayed"
#: Fault injection for the crash test (docs/OPERATIONS.md): the server process kills itself
#: after a command on this path commits and before it answers. Never set in production.
_STATUS_BY_CODE = {
    "duplicate_with_different_content": 409, "field_invalid": 422, "forbidden": 403,
    "rate_limited": 429, "body_too_large": 413, "csrf_invalid": 403,
    "signature_missing": 401, "signature_invalid": 401, "signature_expired": 401,
    "signature_replayed": 401, "signature_algorithm_unknown": 401,
    "body_invalid": 400, "body_duplicate_key": 400, "content_type_invalid": 415,
}


B = TypeVar("B", bound=pydantic.BaseModel)


class ErrorAnswer(pydantic.BaseModel):
    """The body of every refusal."""

    code: str
    message: str
    details: dict[str, Any]
    request_id: str


#: The refusal statuses every signed endpoint may answer (see ``status_for``), for OpenAPI.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorAnswer} for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)}


class ApiError(CunguanError):
    """Refused at the edge (listed in docs/ERRORS.md)."""


def status_for(code: str) -> int:
    """HTTP status of a refusal: unknown ids 404, reused serial nos. 409, signatures 401,
    everything a business rule refuses 422."""
    if code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[code]
    return 404 if code.endswith("_not_found") else 422


def bank(request: Request) -> Bank:
    found: Bank = request.app.state.bank
    return found


def envelope(code: str, message: str, details: dict[str, Any] | None,
             request_id: str) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or {},
            "request_id": request_id}


def respond(request: Request, status: int, payload: Any, *, replayed: bool = False) -> Response:
    # backslashreplace: a lone surrogate that reached a message is shown, not a 500
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                      default=str).encode("utf-8", "backslashreplace")
    headers = {"X-Request-Id": request_id(request)}
    if replayed:
        headers[REPLAY_HEADER] = "true"
    headers.update(_response_signature(request, status, body))
    return Response(body, status_code=status, media_type="application/json", headers=headers)


async def respond_ok(request: Request, call: Callable[..., Any], *args: Any,
                     **kwargs: Any) -> Response:
    """``call(*args, **kwargs)`` run off the event loop, its result answered as
    ``{"status": "ok", "data": …}`` (the reconciliation and clearing edges' answer)."""
    data = await run_in_threadpool(call, *args, **kwargs)
    return respond(request, 200, {"status": "ok", "data": data})


async def json_object(request: Request) -> dict[str, Any]:
    """A command's body, a JSON object read by ``json_of``'s rules; its fields are the
    handler's to judge."""
    value = json_of(request.headers.get("content-type"), await request.body())
    if not isinstance(value, dict):
        raise FieldInvalid("body", "must be a JSON object")
    return value


def respond_bytes(request: Request, body: bytes, media_type: str,
                  headers: dict[str, str]) -> Response:
    """A 200 answer that is not JSON (a file), signed as every answer is: ``headers`` are
    the endpoint's own (a file's signature), beside the response's signature."""
    signed = {"X-Request-Id": request_id(request), **headers}
    signed.update(_response_signature(request, 200, body))
    return Response(body, status_code=200, media_type=media_type, headers=signed)


def refusal(request: Request, code: str, message: str, details: dict[str, Any] | None = None,
            *, request_no: str | None = None, replayed: bool = False) -> Response:
    return respond(request, status_for(code),
                   envelope(code, message, details, request_no or request_id(request)),
                   replayed=replayed)


def answer(request: Request, result: CustodyResult) -> Response:
    """A custody command's result as HTTP: the same status and body for every replay."""
    kill_path = request.app.state.fault_kill_path
    if kill_path and request.url.path == kill_path and not result.replayed:
        os.kill(os.getpid(), signal.SIGKILL)   # fault injection: committed, never answered
    if result.ok:
        return respond(request, 200, {"request_no": result.request_no, "status": "ok",
                                      "data": result.data}, replayed=result.replayed)
    return refusal(request, result.code, result.message, result.data,
                   request_no=result.request_no, replayed=result.replayed)


async def set_based(request: Request, tenant_id: str, operation: str, item: Any
                    ) -> CustodyResult:
    """A single request of an operation that has a set-based form (``SET_BASED_CALLS``),
    run with the concurrent requests of the same operation in one set-based call; its nonce,
    when its caller came through ``platform_command`` or ``operator_command``, recorded by
    the same writer in the call's own DB transaction (a replayed nonce refuses it there)."""
    found = bank(request)
    entry = (getattr(request.state, "nonce", None), item)
    if found.set_based is None:
        outcome = (await run_in_threadpool(found.run_signed, (tenant_id, operation),
                                           [entry]))[0]
    else:
        outcome = await _coalesced(found.set_based, (tenant_id, operation), entry)
    if isinstance(outcome, AccessError):
        raise outcome
    result: CustodyResult = outcome
    return result


async def _coalesced(coalescer: Coalescer[Any, Any, Any], key: Any, item: Any) -> Any:
    """The item's outcome from the coalescer's writer thread, awaited without a thread."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def resolve(outcome: object) -> None:
        if future.cancelled():   # the client went away; the work stands (serial no.)
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    def done(outcome: object) -> None:   # called in the writer thread
        loop.call_soon_threadsafe(resolve, outcome)
    coalescer.submit(key, item, done)
    return await future


def request_id(request: Request) -> str:
    if not hasattr(request.state, "request_id"):
        request.state.request_id = uuid.uuid4().hex
    found: str = request.state.request_id
    return found


def _response_signature(request: Request, status: int, body: bytes) -> dict[str, str]:
    principal: Principal | None = getattr(request.state, "principal", None)
    algorithm = getattr(request.state, "algorithm", signing.HMAC_SHA256)
    nonce = request.headers.get(signing.HEADER_NONCE, "")
    if principal is None:
        return {}
    stamp = int(bank(request).clock().timestamp())
    text = signing.response_text(algorithm, status, nonce, stamp, body)
    if algorithm == signing.SM2_SM3:
        key_id, key = "bank-sm2", bank(request).access.bank_sm2_key()[0]
    else:
        key_id, key = principal.key_id, principal.secret
    return {signing.HEADER_KEY: key_id, signing.HEADER_ALGORITHM: algorithm,
            signing.HEADER_TIMESTAMP: str(stamp),
            signing.HEADER_SIGNATURE: signing.sign(text, algorithm, key)}


async def _signed(request: Request, body_bytes_max: int) -> SignedRequest:
    """What the signature covers. The body's size is enforced while it streams in
    (platform/body.py, ``BodyLimit``); measured here again for an app served without it."""
    body = await request.body()
    if len(body) > body_bytes_max:
        raise ApiError("body_too_large", f"a request body is at most {body_bytes_max} bytes")
    h = request.headers
    return SignedRequest(h.get(signing.HEADER_KEY), h.get(signing.HEADER_ALGORITHM),
                         h.get(signing.HEADER_TIMESTAMP), h.get(signing.HEADER_NONCE),
                         h.get(signing.HEADER_SIGNATURE), request.method, signed_target(request),
                         body)


def signed_target(request: Request) -> str:
    """The path and query exactly as sent (docs/API.md, "Signing"): the raw path, still
    percent-encoded, not the decoded one the router matches — ``/v1/users/u%3Ax`` is
    signed as such."""
    raw: bytes | None = request.scope.get("raw_path")
    path = request.scope["path"] if raw is None else raw.decode("utf-8", "replace")
    query: bytes = request.scope.get("query_string", b"")
    return f"{path}?{query.decode('utf-8', 'replace')}" if query else path


def _caller(request: Request, principal: Principal, signed: SignedRequest) -> Principal:
    request.state.principal = principal
    request.state.algorithm = signed.algorithm
    return principal


def _known(request: Request) -> Principal | None:
    """The caller, when this request was verified already (``SignedRoute`` checks it before
    the framework solves the endpoint's dependencies, which then ask again)."""
    found: Principal | None = getattr(request.state, "principal", None)
    return found


async def _authenticate(request: Request,
                        body_bytes_max: int = limits.api_body_bytes_max) -> Principal:
    if (known := _known(request)) is not None:
        return known
    signed = await _signed(request, body_bytes_max)
    admission = bank(request).admission
    principal = (await _coalesced(admission, None, signed) if admission is not None else
                 await run_in_threadpool(bank(request).access.authenticate, signed))
    return _caller(request, principal, signed)


async def _verified(request: Request) -> Principal:
    """The signature and the clock skew checked here, before the body is read as a command;
    the nonce is recorded by the set-based writer with the command (``set_based``): one trip
    to a writer thread and one wait instead of two. An HMAC is checked on the event loop with
    the credential from the process's cache (``limits.credential_cache_ms``); a cache miss,
    which reads the database, and an SM2 check run off it."""
    if (known := _known(request)) is not None:
        return known
    signed = await _signed(request, limits.api_body_bytes_max)
    access = bank(request).access
    hmac = signed.algorithm == signing.HMAC_SHA256      # microseconds; SM2 takes longer
    if hmac and signed.key_id and not access.credential_known(signed.key_id):
        await read_credential_once(request.app.state.credential_reads, access, signed.key_id)
    inline = hmac and access.credential_known(signed.key_id)
    principal = (access.verify(signed, from_cache=True) if inline
                 else await run_in_threadpool(access.verify, signed))
    request.state.nonce = nonce_of(signed)
    return _caller(request, principal, signed)


async def read_credential_once(reads: dict[str, "asyncio.Future[None]"], access: AccessService,
                               key_id: str) -> None:
    """One read of a credential for every request that finds it stale at the same moment.

    Each process's cached credential goes stale every ``credential_cache_ms``: under load,
    every request in flight then finds it so. Measured at 64 clients, with each of them
    reading it in a worker thread, ~10 % of a server process's Python time went to those
    hand-offs; here the first starts the read and the others wait for it. ``reads``: the
    reads under way, by key id (one dict per app).
    """
    read = reads.get(key_id)
    if read is None:
        read = asyncio.ensure_future(run_in_threadpool(access.read_credential, key_id))
        reads[key_id] = read
        read.add_done_callback(lambda _: reads.pop(key_id, None))
    await asyncio.shield(read)   # a caller that gives up does not cancel the others' read


def check_callback_url(request: Request, url: str) -> None:
    """A callback URL may name only a public host, or one the operator allowed
    (core/callback_targets.py; checked again at each post)."""
    why = callback_targets.url_refusal(url, request.app.state.callback_allowed_hosts)
    if why is not None:
        raise ApiError("callback_url_not_allowed", f"callbacks cannot go there: {why}",
                       field="callback_url")


def _platform_only(principal: Principal) -> Principal:
    if principal.role != "platform" or principal.tenant_id is None:
        raise AccessError("forbidden", "this endpoint is for platforms")
    return principal


def _participant_only(principal: Principal) -> Principal:
    if principal.role != "participant" or principal.tenant_id is None:
        raise AccessError("forbidden", "this endpoint is for clearing participants")
    return principal


def _operator_only(principal: Principal) -> Principal:
    if principal.role != "operator":
        raise AccessError("forbidden", "this endpoint needs an operator credential")
    return principal


async def platform(request: Request) -> Principal:
    """A signed request from a platform: it acts inside its own tenant only."""
    return _platform_only(await _authenticate(request))


async def platform_upload(request: Request) -> Principal:
    """A signed file upload from a platform (the signature covers the multipart body)."""
    return _platform_only(await _authenticate(request, limits.api_upload_bytes_max))


async def platform_command(request: Request) -> Principal:
    """``platform`` for an operation with a set-based form: its nonce recorded by
    ``set_based``, which the endpoint must call."""
    return _platform_only(await _verified(request))


async def participant(request: Request) -> Principal:
    """A signed request from a clearing participant: it acts as its own bank only."""
    return _participant_only(await _authenticate(request))


async def operator(request: Request) -> Principal:
    """A signed request from a bank operator."""
    return _operator_only(await _authenticate(request))


async def operator_upload(request: Request) -> Principal:
    """A signed file upload from a bank operator (a bank statement, reconciliation)."""
    return _operator_only(await _authenticate(request, limits.api_upload_bytes_max))


async def operator_command(request: Request) -> Principal:
    """``operator`` for an operation with a set-based form (see ``platform_command``)."""
    return _operator_only(await _verified(request))


async def command_input(request: Request, schema: type[B],
                        caller: Callable[[Request], Awaitable[Principal]]
                        ) -> tuple[Principal, B]:
    """The caller and the body of a command whose endpoint takes nothing but the request (the
    command lane's, platform/lane.py): the signature first — over the raw body, so nothing an
    unauthenticated caller sends is parsed — then the body, a JSON object of ``schema``. A
    refused body raises what the framework raises for its own body parameters, with the same
    locations (``body.<field>``), so every endpoint refuses fields alike."""
    principal = await caller(request)
    value = json_of(request.headers.get("content-type"), await request.body())
    try:
        return principal, schema.model_validate(value)
    except pydantic.ValidationError as exc:
        raise RequestValidationError([{**error, "loc": ("body", *error["loc"])}
                                      for error in exc.errors(include_url=False)]) from None


#: The dependencies that verify a caller (``SignedRoute`` runs them first).
_CALLERS = frozenset({platform, platform_upload, platform_command, participant, operator,
                      operator_upload, operator_command})


class SignedRoute(APIRoute):
    """A route that checks its caller's signature before anything else: before the framework
    reads the body (it parses JSON before solving dependencies, so an unsigned ``{bad``
    got 422 and a signed one an unsigned answer) and before path and query parameters are
    judged. Its JSON body is then read by ``json_of``'s rules; the framework takes the value
    from the request's cache instead of parsing the body again by its own."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        callers = [d.call for d in self.dependant.dependencies if d.call in _CALLERS]
        reads_json = self.body_field is not None

        async def signed_first(request: Request) -> Response:
            for caller in callers:
                await caller(request)
            if reads_json:   # Starlette's cache of request.json(), which the framework reads
                request._json = json_of(request.headers.get("content-type"),
                                        await request.body())
            return await handle(request)
        return signed_first


def tenant(principal: Principal) -> str:
    return present(principal.tenant_id, "platform() lets only tenant keys through")

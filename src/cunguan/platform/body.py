"""Request bodies at the edge: their size enforced while they stream in, and their JSON read
strictly — one media type, UTF-8 only, no key named twice.

The size limit is a pure ASGI wrapper around ``receive``: a body is refused the moment it
passes its limit, however it is sent (with a Content-Length or chunked without one), so an
unauthenticated caller can never make the bank buffer more than the limit. Reading the
whole body and then measuring it, as the edge did, let a chunked 200 MB post be read whole
before its 413.
"""

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cunguan.core import limits
from cunguan.core.errors import CunguanError

#: The one media type a body may have (the charset, when named, must be UTF-8).
_JSON_TYPE: Final = re.compile(r"application/json\s*(;\s*charset\s*=\s*\"?utf-8\"?\s*)?",
                               re.IGNORECASE)
#: An escaped UTF-16 surrogate in JSON text: only then can a lone one reach a str.
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")


class BodyError(CunguanError):
    """A body refused before its fields are read (listed in docs/ERRORS.md)."""


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` past the limit. An HTTPException, so that whatever reads the
    body (the framework's form parser too) lets it through to the app's handler (413)."""

    def __init__(self, bytes_max: int) -> None:
        super().__init__(413, f"a request body is at most {bytes_max} bytes")


class BodyLimit:
    """Refuses a request body larger than ``bytes_max(scope)`` while it streams in: at once
    when its Content-Length says so, else as soon as the bytes received pass the limit."""

    def __init__(self, app: ASGIApp, bytes_max: Callable[[Scope], int]) -> None:
        self.app = app
        self.bytes_max = bytes_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.bytes_max(scope)
        if _declared_length(scope) > limit:
            await _too_large(limit, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message
        await self.app(scope, limited, send)


def _declared_length(scope: Scope) -> int:
    """The Content-Length header, or 0 when absent or not a number (h11 and httptools refuse
    a malformed one before the app sees it)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) <= 19 else 0
    return 0


async def _too_large(limit: int, send: Send) -> None:
    """The 413 for a declared length, unsigned: the signature covers a body never read."""
    body = json.dumps({"code": "body_too_large", "message": BodyTooLarge(limit).detail,
                       "details": {}, "request_id": ""}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


_OPENING: Final = b"[{"
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")


def json_of(content_type: str | None, body: bytes) -> Any:
    """A body's JSON value, read strictly: ``Content-Type: application/json`` (optionally
    ``; charset=utf-8``), valid UTF-8 without lone surrogates, JSON without NaN or
    Infinity, and no object naming a key twice (``{"amount_fen": 1, "amount_fen": 10**6}``
    would otherwise post the last one, unlike what many a platform's own parser reads)."""
    if content_type is None or _JSON_TYPE.fullmatch(content_type.strip()) is None:
        raise BodyError("content_type_invalid",
                        "the body must be sent as Content-Type: application/json")
    if _nesting(body) > limits.json_nesting_max:
        raise BodyError("body_invalid",
                        f"the body's JSON is nested more than {limits.json_nesting_max} deep")
    try:
        text = body.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise BodyError("body_invalid", "the body is not UTF-8 text") from None
    except RecursionError:   # nested past what the parser recurses into: no request is
        raise BodyError("body_invalid", "the body's JSON is nested too deeply") from None
    except ValueError as exc:
        raise BodyError("body_invalid", f"the body is not JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise BodyError("body_invalid", "the body's text holds a lone UTF-16 surrogate")
    return value


def _nesting(body: bytes) -> int:
    """How deep the body's brackets go at most (brackets inside strings counted too: an
    over-estimate only refuses what no request needs)."""
    depth = deepest = 0
    for byte in body.translate(None, _NOT_BRACKETS):
        depth += 1 if byte in _OPENING else -1
        deepest = max(deepest, depth)
    return deepest


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        counts = Counter(k for k, _ in pairs)
        # As JSON, cut short: a key may be long or hold what the answer could not encode.
        shown = limits.duplicate_key_shown_length_max
        twice = sorted(json.dumps(k)[:shown] for k, n in counts.items() if n > 1)
        raise BodyError("body_duplicate_key", f"a JSON object names {', '.join(twice)} twice",
                        keys=twice)
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False

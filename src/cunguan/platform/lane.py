"""The command lane: the busiest commands served without the framework's router.

Every request through FastAPI passes its exception and exit-stack middleware, the router
(which matches the path against the routes, each included router's twice) and the endpoint
runner (which solves dependencies and validates the body); for a red packet, whose own work is
a signature check and a hand-off to the set-based writer, that was a third of the server's
Python time. The lane sits in front of those, among the app's own middleware: a POST to the
path of a lane command (``platform_routes.lane_command``) is answered by calling its endpoint,
which takes only the request and checks the caller and the body itself; everything else goes
on to the router. A lane command is still a route of the app (the OpenAPI document describes
it, and an app built without the lane serves it through the router alike — a test compares
the two).

What the endpoint raises is answered by the app's exception handlers, looked up as the
framework looks them up (the nearest class in the exception's MRO); the handler for
``Exception`` is left to the outermost middleware, as the framework leaves it, so an
unexpected error is answered and logged once, the same way on either path.

Measured at 64 API clients (bench/api_ab.py, alternating rounds against the router): see
docs/PERFORMANCE.md, "The command lane".
"""

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class CommandLane:
    def __init__(self, app: ASGIApp, endpoints: Mapping[str, Endpoint],
                 handlers: Mapping[Any, Callable[..., Any]]) -> None:
        self.app = app
        self.endpoints = endpoints
        #: The app's exception handlers (its own dict: handlers added later count too).
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (self.endpoints.get(_route_path(scope))
                    if scope["type"] == "http" and scope["method"] == "POST" else None)
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            answered = handler(request, exc)
            response = await answered if inspect.isawaitable(answered) else answered
        await response(scope, receive, send)

    def _handler(self, exc: Exception) -> Callable[..., Any] | None:
        for cls in type(exc).__mro__:
            if cls is Exception:
                return None
            if cls in self.handlers:
                return self.handlers[cls]
        return None


def _route_path(scope: Scope) -> str:
    """The path the router would match: without the app's root path, when behind a proxy
    that mounts it under one."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path

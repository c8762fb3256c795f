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
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class IdCommand:
    """A lane command whose path names one thing between a fixed prefix and suffix
    (``/v1/projects/{project_id}/repay``): the parameter's name, the form an id must have for
    the lane to take the request (any other goes to the router, which refuses it as it
    always has), and the endpoint, which finds the id in ``request.path_params``."""

    prefix: str
    suffix: str
    name: str
    pattern: re.Pattern[str]
    endpoint: Endpoint

    def match(self, path: str) -> str | None:
        if not (path.startswith(self.prefix) and path.endswith(self.suffix)):
            return None
        value = path[len(self.prefix):len(path) - len(self.suffix)]
        return value if self.pattern.fullmatch(value) else None


class CommandLane:
    def __init__(self, app: ASGIApp, endpoints: Mapping[str, Endpoint],
                 handlers: Mapping[Any, Callable[..., Any]],
                 id_commands: Sequence[IdCommand] = ()) -> None:
        self.app = app
        self.endpoints = endpoints
        self.id_commands = id_commands
        #: The app's exception handlers (its own dict: handlers added later count too).
        self.handlers = handlers

    def _endpoint(self, scope: Scope) -> Endpoint | None:
        path = _route_path(scope)
        found = self.endpoints.get(path)
        if found is not None:
            return found
        for command in self.id_commands:
            value = command.match(path)
            if value is not None:
                scope["path_params"] = {command.name: value}
                return command.endpoint
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (self._endpoint(scope)
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

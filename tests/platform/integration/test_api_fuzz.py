"""Arbitrary JSON bodies, query strings and path values, signed correctly, to every endpoint of
the app: whatever a platform or an operator sends, the answer is never a 5xx."""

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunguan.core import signing
from cunguan.custody import operator_routes
from cunguan.custody import routes as platform_routes
from cunguan.db.connection import make_engine, upgrade
from cunguan.platform import pages
from cunguan.reconcile import routes as reconcile_routes
from tests.api_helpers import Api, api_for

#: Ids that exist (an account's log is read only once the account is found).
_IDS = ("u0001", "p1", "P2P", "OWN", "MARKETING", "U-u0001")
#: Query values at the edges of what parameters take.
_QUERY_VALUES = ("0001-01-01", "9999-12-31", "2026-11-23", "0", "-1", "1" * 30, "１", "²")
#: Values that reach deeper than random text: ids that exist, dates, URLs, numbers.
_KNOWN = ("u0001", "u0002", "p1", "P2P", "U-u0001", "2026-11-23", "0001-01-01",
          "https://platform.example/return/x", "http://127.0.0.1/cb", "0.08", "lend",
          "6222021234567890123", "open_account", "repay", "recharge", "1", "0")
#: Any code point, lone surrogates and NUL included (JSON escapes them; a path quotes them).
_TEXT = st.one_of(st.text(st.characters(codec=None, categories=None), max_size=40),
                  st.sampled_from(_KNOWN), st.sampled_from(_KNOWN),
                  st.text(st.characters(codec="utf-8"), max_size=8).map(lambda t: t + "\x00"))
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                     st.floats(allow_nan=True), _TEXT)
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)), max_leaves=12)


@pytest.fixture(scope="module")
def app() -> Iterator[tuple[Api, dict[str, tuple[str, str]]]]:
    """One bank for every endpoint's examples (SQLite): a platform, two users, an operator."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'fuzz.db'}")
        upgrade(engine)
        with api_for(engine) as api:
            p2p = api.onboard("P2P")
            for seq in (1, 2):
                api.authorize("P2P", api.open_user("P2P", seq))
            yield api, {"platform": (p2p.key_id, p2p.secret),
                        "operator": (api.operator.key_id, api.operator.secret)}
        engine.dispose()


def _operations() -> list[tuple[str, str]]:
    """Every (method, path) the app serves."""
    return sorted((method, route.path) for route in (
        *platform_routes.router.routes, *operator_routes.router.routes, *pages.router.routes,
        *reconcile_routes.router.routes, *reconcile_routes.operator_router.routes)
        if isinstance(route, APIRoute) for method in route.methods)


def _fields(document: dict[str, Any], method: str, path: str) -> tuple[list[str], list[str]]:
    """The names of an operation's body fields and query parameters."""
    operation = document["paths"].get(path, {}).get(method.lower(), {})   # pages: unlisted
    query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    names: set[str] = set()
    for one in (schema, *schema.get("oneOf", []), *schema.get("anyOf", [])):
        ref = one.get("$ref", "").rsplit("/", 1)[-1]
        names.update((document["components"]["schemas"][ref] if ref else one
                      ).get("properties", {}))
    return sorted(names), query


def _quoted(text: str) -> str:
    """Percent-encoded, a lone surrogate as the bytes it would be (not UTF-8)."""
    return quote(text, safe="", errors="surrogatepass")


@st.composite
def _requests(draw: st.DrawFn, method: str, path: str, body_fields: list[str],
              query_names: list[str]) -> tuple[str, bytes]:
    path_value = st.one_of(st.sampled_from(_IDS), st.sampled_from(_IDS), _TEXT)
    target = re.sub(r"\{[^}]+\}", lambda _: _quoted(draw(path_value)), path)
    query = draw(st.fixed_dictionaries({}, optional={
        name: st.one_of(st.sampled_from(_QUERY_VALUES), _TEXT) for name in query_names}))
    query.update(draw(st.dictionaries(_TEXT, _TEXT, max_size=2)))
    if query:
        target += "?" + urlencode(query, quote_via=lambda text, *_: _quoted(text))
    if body_fields and draw(st.integers(0, 3)):    # mostly the endpoint's own fields
        value: Any = draw(st.fixed_dictionaries({}, optional={
            name: _JSON for name in body_fields}))
    else:
        value = draw(_JSON)
    return target, b"" if method == "GET" else json.dumps(value).encode()


_count = iter(range(10**9))


def test_the_fuzz_reaches_every_endpoint() -> None:
    assert len(_operations()) > 40 and ("GET", "/v1/accounts/{account_no}/log") in _operations()


@pytest.mark.parametrize("method, path", _operations())
def test_no_signed_request_to_any_endpoint_gets_a_5xx(
        app: tuple[Api, dict[str, tuple[str, str]]], method: str, path: str) -> None:
    api, keys = app
    body_fields, query_names = _fields(api.http.app.openapi(), method, path)
    key_id, secret = keys["operator" if path.startswith("/v1/operator") else "platform"]

    @settings(max_examples=40 if "{" in path or query_names else 15, deadline=None,
              database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(request=_requests(method, path, body_fields, query_names))
    def no_5xx(request: tuple[str, bytes]) -> None:
        target, body = request
        headers = signing.sign_request(key_id, signing.HMAC_SHA256, secret, method, target,
                                       body, int(api.clock().timestamp()),
                                       f"fuzz{next(_count):012d}").headers()
        answer = api.http.request(method, target, content=body, headers={
            **headers, "Content-Type": "application/json"})
        assert answer.status_code < 500, (method, target, body, answer.text)
    no_5xx()

"""What the command lane's tests share (test_command_lane.py, test_command_lane_ids.py): two
banks alike, one served with the lane and one without; a request signed and sent with a flaw,
if any; and what a platform sees of an answer, to compare the two."""

import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from cunguan.core import signing
from cunguan.db.connection import make_engine, upgrade
from tests.api_helpers import Api, api_for

_VOLATILE_HEADERS = {"x-request-id", "x-cunguan-signature", "x-cunguan-key", "content-length",
                     "date", "x-cunguan-timestamp"}


@contextmanager
def lane_and_router(platform: Callable[[Api], tuple[str, str]]
                    ) -> Iterator[list[tuple[Api, tuple[str, str]]]]:
    """Two banks alike, one served with the lane and one without, each on its own SQLite and
    each set up by ``platform`` (which answers the platform's key)."""
    with tempfile.TemporaryDirectory() as directory, ExitStack() as stack:
        apps = []
        for lane in (True, False):
            engine = make_engine(f"sqlite:///{Path(directory) / f'lane-{lane}.db'}")
            upgrade(engine)
            stack.callback(engine.dispose)
            api = stack.enter_context(api_for(engine, command_lane=lane))
            apps.append((api, platform(api)))
        yield apps


def send_flawed(api: Api, key: tuple[str, str], path: str, body: bytes, flaw: str,
                n: int) -> httpx.Response:
    """``body`` posted to ``path``, signed with ``key`` on the ``n``-th nonce, and spoilt
    in transit by ``flaw``: sent as a GET (``get_method``), on a nonce every such request
    shares (``replayed_nonce``), with its signature reversed (``tampered``), without a
    content type (``no_content_type``) or as a form (``form_content_type``); its body's
    flaws are the caller's."""
    method = "GET" if flaw == "get_method" else "POST"
    nonce = "thesamenonce" if flaw == "replayed_nonce" else f"nonce{n:06d}"
    headers = signing.sign_request(key[0], signing.HMAC_SHA256, key[1], method, path, body,
                                   int(api.clock().timestamp()), nonce).headers()
    if flaw == "tampered":
        headers[signing.HEADER_SIGNATURE] = headers[signing.HEADER_SIGNATURE][::-1]
    if flaw != "no_content_type":
        headers["Content-Type"] = ("application/x-www-form-urlencoded"
                                   if flaw == "form_content_type" else "application/json")
    return api.http.request(method, path, content=body, headers=headers)


def seen(answer: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    """What a platform sees of an answer, less what differs by design (request ids, the
    signature, which each app makes with its own key)."""
    try:
        body = answer.json()
    except ValueError:
        body = answer.text
    if isinstance(body, dict) and len(str(body.get("request_id", ""))) == 32:
        body = {**body, "request_id": "generated"}
    headers = {k: v for k, v in answer.headers.items() if k.lower() not in _VOLATILE_HEADERS}
    return answer.status_code, body, headers

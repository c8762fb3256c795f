"""A small Python client for the platform API: signs every request, checks every response's
signature, and keeps the request no. the same across retries.

    client = CunguanClient("https://custody.bank.example", key_id, secret)
    answer = client.post("/v1/red-packets", {"request_no": "rp-1", "user_id": "u1",
                                             "amount_fen": 500})
    answer.status, answer.body, answer.replayed
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from cunguan.core import signing
from cunguan.core.errors import present

REPLAY_HEADER = "Idempotent-Replayed"
#: Statuses the bank may send unsigned: it could not tell who asked.
UNSIGNED_REFUSALS = (401, 404, 405, 413)


class ResponseSignatureError(Exception):
    """The answer's signature is missing or wrong: do not trust it."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool
    headers: dict[str, str]
    #: False only for refusals the bank cannot sign because it does not know the caller
    #: (bad signature, no such route): never for a result.
    signed: bool = True


class CunguanClient:
    def __init__(self, base_url: str, key_id: str, secret: str, *,
                 algorithm: str = signing.HMAC_SHA256, sm2_private_key: str | None = None,
                 bank_sm2_public_key: str | None = None, timeout_s: float = 10.0,
                 verify_responses: bool = True, http: httpx.Client | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.key_id = key_id
        self.secret = secret
        self.algorithm = algorithm
        self.sm2_private_key = sm2_private_key
        self.bank_sm2_public_key = (None if bank_sm2_public_key is None else
                                    signing.sm2_public_key(bank_sm2_public_key,
                                                           "bank_sm2_public_key"))
        self.verify_responses = verify_responses
        self.clock = clock
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout_s)

    def post(self, path: str, payload: dict[str, Any]) -> Answer:
        return self.request("POST", path, payload)

    def put(self, path: str, payload: dict[str, Any]) -> Answer:
        return self.request("PUT", path, payload)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Answer:
        return self.request("GET", path + (f"?{urlencode(params)}" if params else ""))

    def request(self, method: str, target: str, payload: Any = None) -> Answer:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        return self._send(method, target, body, "application/json")

    def upload(self, target: str, files: dict[str, tuple[str, bytes]]) -> Answer:
        """Files as multipart/form-data: {field: (file name, content)}; the signature covers
        the exact multipart body."""
        built = httpx.Request("POST", f"http://upload{target}", files={
            field: (name, content, "text/csv") for field, (name, content) in files.items()})
        return self._send("POST", target, built.read(), built.headers["Content-Type"])

    def _send(self, method: str, target: str, body: bytes, content_type: str) -> Answer:
        key = self.secret if self.algorithm == signing.HMAC_SHA256 else self.sm2_private_key
        key = present(key, "SM2 signing needs sm2_private_key")
        request = self.http.build_request(method, target, content=body,
                                          headers={"Content-Type": content_type})
        # The path and query as they go on the wire: httpx percent-encodes what a URL may not
        # hold (a space, 中文), and the bank verifies what it received.
        sent = request.url.raw_path.decode("ascii")
        signed = signing.sign_request(self.key_id, self.algorithm, key, method, sent, body,
                                      int(self.clock()))
        request.headers.update(signed.headers())
        reply = self.http.send(request)
        unsigned = signing.HEADER_SIGNATURE not in reply.headers
        if unsigned and reply.status_code in UNSIGNED_REFUSALS:
            pass
        elif self.verify_responses:
            self._check(reply, signed.nonce)
        # A file (a reconciliation file's CSV) comes back as its bytes; everything else is JSON.
        json_body = "json" in reply.headers.get("content-type", "application/json")
        data = (reply.json() if json_body else reply.content) if reply.content else None
        return Answer(reply.status_code, data, reply.headers.get(REPLAY_HEADER) == "true",
                      dict(reply.headers), not unsigned)

    def _check(self, reply: httpx.Response, nonce: str) -> None:
        h = reply.headers
        algorithm = h.get(signing.HEADER_ALGORITHM, "")
        stamp, signature = h.get(signing.HEADER_TIMESTAMP, ""), h.get(signing.HEADER_SIGNATURE)
        if not stamp.isdigit() or not signature or algorithm != self.algorithm:
            raise ResponseSignatureError(f"unsigned answer (HTTP {reply.status_code})")
        text = signing.response_text(algorithm, reply.status_code, nonce, int(stamp),
                                     reply.content)
        key = self.secret if algorithm == signing.HMAC_SHA256 else self.bank_sm2_public_key
        if key is None or not signing.verify(text, algorithm, key, signature):
            raise ResponseSignatureError("the answer's signature does not match")

    def close(self) -> None:
        self.http.close()


def verify_callback(secret: str, path: str, headers: dict[str, str], body: bytes,
                    now_s: int | None = None) -> bool:
    """For the platform's callback receiver: is this callback the bank's, and fresh?"""
    lower = {k.lower(): v for k, v in headers.items()}
    return _signed(secret, "POST", path, lower.get(signing.HEADER_TIMESTAMP.lower(), ""),
                   lower.get(signing.HEADER_NONCE.lower(), ""), body,
                   lower.get(signing.HEADER_SIGNATURE.lower(), ""), now_s)


def verify_file(secret: str, path: str, headers: dict[str, str], body: bytes) -> bool:
    """For the platform: is this reconciliation file (fetched at ``path``) the bank's? Its
    ``X-Cunguan-File-*`` headers sign the bytes with the platform's key (docs/API.md,
    "Reconciliation files"). No freshness check: a file is issued again under the signature
    it was first made with."""
    lower = {k.lower(): v for k, v in headers.items()}
    stamp = lower.get("x-cunguan-file-timestamp", "")
    if (lower.get("x-cunguan-file-algorithm") != signing.HMAC_SHA256
            or not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12)):
        return False
    text = signing.canonical_text(signing.HMAC_SHA256, "FILE", path, int(stamp),
                                  lower.get("x-cunguan-file-nonce", ""), body)
    return signing.verify(text, signing.HMAC_SHA256, secret,
                          lower.get("x-cunguan-file-signature", ""))


def verify_return(secret: str, url: str, now_s: int | None = None) -> dict[str, str] | None:
    """For the platform's return page: the result the bank signed onto the return URL, or
    None when the signature is wrong or stale."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    extra = {k: query.pop(k, "") for k in ("key", "timestamp", "nonce", "signature")}
    result: dict[str, str] = {k: query[k] for k in ("code", "request_no", "status")
                              if k in query}
    own = {k: v for k, v in query.items() if k not in result}
    return_url = f"{parts.scheme}://{parts.netloc}{parts.path}" + (
        f"?{urlencode(own)}" if own else "")
    ok = _signed(secret, "RETURN", return_url, extra["timestamp"], extra["nonce"],
                 urlencode(sorted(result.items())).encode(), extra["signature"], now_s)
    return result if ok else None


def _signed(secret: str, method: str, target: str, timestamp: str, nonce: str, body: bytes,
            signature: str, now_s: int | None) -> bool:
    try:
        return signing.verify_signed(signing.HMAC_SHA256, secret, method, target, timestamp,
                                     nonce, body, signature,
                                     int(time.time()) if now_s is None else now_s)
    except signing.SignatureError:
        return False

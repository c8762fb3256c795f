"""Delivers one signed callback over HTTP: a 2xx answer is a delivery, anything else is not."""

import httpx

from cunguan.core import limits


class HttpSender:
    def __init__(self, timeout_ms: int = limits.callback_timeout_ms) -> None:
        self.client = httpx.Client(timeout=timeout_ms / 1000, follow_redirects=False)

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> str | None:
        try:
            answer = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:256]
        if 200 <= answer.status_code < 300:
            return None
        return f"HTTP {answer.status_code}"

    def close(self) -> None:
        self.client.close()

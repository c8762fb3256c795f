"""Load generator for the API benchmark: a separate process that sends signed red-packet
commands (a transfer from the platform's marketing account to a user) at a fixed number of
concurrent clients for a fixed time, and prints one JSON line of counts and latencies.

    python -m bench.api_load URL KEY_ID SECRET --users 64 --concurrency 16 --seconds 8
"""

import argparse
import asyncio
import json
import time

import httpx

from cunguan.core import signing


async def _client(http: httpx.AsyncClient, key_id: str, secret: str, worker: int, users: int,
                  stop_at: float, latencies_ms: list[float], codes: dict[int, int],
                  errors: list[str]) -> None:
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        body = json.dumps({"request_no": f"L{worker}-{n}-{time.monotonic_ns()}",
                           "user_id": f"lu{(worker + n) % users:04d}", "amount_fen": 1}).encode()
        signed = signing.sign_request(key_id, signing.HMAC_SHA256, secret, "POST",
                                      "/v1/red-packets", body, int(time.time()))
        started = time.perf_counter()
        try:
            reply = await http.post("/v1/red-packets", content=body, headers={
                **signed.headers(), "Content-Type": "application/json"})
            status = reply.status_code
        except httpx.HTTPError as exc:     # counted, not hidden: a refused or dropped call
            status = -1
            errors.append(type(exc).__name__)
        latencies_ms.append((time.perf_counter() - started) * 1000)
        codes[status] = codes.get(status, 0) + 1


async def run(url: str, key_id: str, secret: str, users: int, concurrency: int,
              seconds: float) -> dict[str, object]:
    latencies_ms: list[float] = []
    codes: dict[int, int] = {}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        started = time.monotonic()
        stop_at = started + seconds
        await asyncio.gather(*(_client(http, key_id, secret, w, users, stop_at, latencies_ms,
                                       codes, errors) for w in range(concurrency)))
        elapsed = time.monotonic() - started
    latencies_ms.sort()

    def pct(p: float) -> float:
        return round(latencies_ms[min(len(latencies_ms) - 1, int(p * len(latencies_ms)))], 2)

    answered_ok = codes.get(200, 0)
    return {"concurrency": concurrency, "requests": len(latencies_ms), "ok": answered_ok,
            "requests_per_s": round(answered_ok / elapsed, 1),
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "status_codes": codes,
            "errors": sorted(set(errors))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("key_id")
    parser.add_argument("secret")
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.key_id, args.secret, args.users,
                                     args.concurrency, args.seconds))))


if __name__ == "__main__":
    main()

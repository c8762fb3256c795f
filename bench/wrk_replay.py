"""Requests prepared just before a phase, replayed once each by wrk (``bench/replay_wrk.lua``):
the flash raise's and the command benchmark's load.

A file holds one request a line — method, path, headers ("Name: value" joined by \\x1f) and
body, tab-separated — so one script serves signed JSON commands and the bank page's form
posts alike. The replay sends every line once from ``clients`` connections and stops when
every one is answered; the rate is the requests over that time.
"""

import json
import re
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.api_bench import _UNITS_MS, WRK
from cunguan.core import signing

SCRIPT = Path(__file__).parent / "replay_wrk.lua"
#: How often the replay looks whether wrk has had every answer.
DONE_POLL_S = 0.02


def line(method: str, path: str, headers: dict[str, str], body: str) -> str:
    """One request of a replay file."""
    return "\t".join((method, path, "\x1f".join(f"{k}: {v}" for k, v in headers.items()),
                      body)) + "\n"


def signed_file(key_id: str, secret: str, requests: list[tuple[str, dict[str, Any]]],
                nonce_prefix: str) -> str:
    """Signed JSON commands — (path, body) each — signed now, one line each; each nonce is
    ``nonce_prefix``, the batch's own random part and the request's number."""
    now = int(time.time())
    batch = uuid.uuid4().hex[:12]
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as out:
        for n, (path, body) in enumerate(requests):
            raw = json.dumps(body, separators=(",", ":"))
            signed = signing.sign_request(key_id, signing.HMAC_SHA256, secret, "POST", path,
                                          raw.encode(), now, f"{nonce_prefix}{batch}{n:07d}")
            out.write(line("POST", path, {
                "Content-Type": "application/json", "X-Cunguan-Key": key_id,
                "X-Cunguan-Algorithm": "HMAC-SHA256", "X-Cunguan-Timestamp": str(now),
                "X-Cunguan-Nonce": signed.nonce, "X-Cunguan-Signature": signed.signature}, raw))
    return out.name


def replay(base: str, file: str, count: int, *, clients: int, duration_s_max: int,
           timeout_s: int | None = None) -> dict[str, Any]:
    """Every request of ``file`` (``count`` of them) sent once from ``clients`` connections:
    the rate at which they were answered and their latencies (wrk's, up to when the last was
    answered)."""
    return measured(run_wrk(base, file, clients=clients, duration_s_max=duration_s_max,
                            timeout_s=timeout_s), count)


def run_wrk(base: str, file: str, *, clients: int, duration_s_max: int,
            timeout_s: int | None = None) -> str:
    """wrk's report of sending every request of ``file`` once; the file is removed. wrk
    leaves an answer slower than its timeout (``timeout_s``; 2 s unless told) out of its
    latencies."""
    done = Path(f"{file}.done")
    timeout = ["--timeout", f"{timeout_s}s"] if timeout_s is not None else []
    wrk = subprocess.Popen(
        [str(WRK), "-t", "1", "-c", str(clients), "-d", f"{duration_s_max}s", "--latency",
         *timeout, "-s", str(SCRIPT), base, "--", file, str(done)],
        stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + duration_s_max
    while not done.exists() and wrk.poll() is None and time.monotonic() < deadline:
        time.sleep(DONE_POLL_S)
    wrk.send_signal(signal.SIGINT)
    report = wrk.communicate(timeout=30)[0]
    Path(file).unlink()
    done.unlink(missing_ok=True)
    return report


def elapsed_s(report: str) -> float:
    """How long wrk ran: until the last answer, when it was interrupted."""
    span, unit = re.search(r"\d+ requests in ([\d.]+)(ms|s|m),", report).groups()
    return float(span) * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


def measured(report: str, count: int) -> dict[str, Any]:
    """What wrk's ``report`` says of a replay of ``count`` requests."""
    sent = re.search(r"(\d+) requests in [\d.]+(?:ms|s|m),", report).group(1)
    took_s = elapsed_s(report)
    errors = re.search(r"Socket errors: (.*)", report)

    def pct(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", report).groups()
        return round(float(value) * _UNITS_MS[unit], 2)

    return {"requests": count, "sent": int(sent), "elapsed_s": round(took_s, 2),
            "answered_per_s": round(count / took_s, 1), "p50_ms": pct("50"),
            "p99_ms": pct("99"), "socket_errors": errors.group(1) if errors else "none"}

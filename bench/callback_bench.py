"""Callback delivery (issue 4, R-C21): how many events a second one worker delivers.

Every custody result becomes an event to deliver to the platform's callback URL; under load
the API writes thousands a second, and callbacks must keep up or fall behind without end. A
platform with ``EVENTS`` red packets' events pending and its callback URL on a receiver in
another process (``http.server``, keep-alive, answering 200 after ``RECEIVER_DELAY_MS``, as a
platform across a network would take a while), then ``OutboxService.deliver_due`` in a loop,
as the worker calls it, until nothing is due: events delivered a second, and whether every
event was delivered once.

    PYTHONPATH=. python -m bench.callback_bench [--delay-ms N]
"""

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from bench import api_bench
from bench.ledger_bench import _bench_url, recreate_pg_database
from cunguan.core import limits
from cunguan.db.connection import make_engine
from cunguan.db.outbox import outbox_events
from cunguan.platform.bank import Bank
from cunguan.platform.callback_sender import HttpSender

EVENTS = 20_000
RECEIVER_DELAY_MS = 5
SLOW_RECEIVER_DELAY_MS = 50

_RECEIVER = """
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
delay_s = float(sys.argv[2]) / 1000
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(delay_s)
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def run_all(log: Callable[[str], None]) -> dict[str, Any]:
    """``make bench``'s callback runs: a platform answering in 5 ms, and one in 50 ms."""
    runs = []
    for delay_ms, events in ((RECEIVER_DELAY_MS, EVENTS), (SLOW_RECEIVER_DELAY_MS, EVENTS // 2)):
        runs.append(run(delay_ms, events))
        log(f"callbacks, platform answering in {delay_ms:g} ms: "
            f"{runs[-1]['events_per_s']:,.0f} events/s")
    return {"runs": runs, "sends_in_flight_max": limits.callback_sends_in_flight_max}


def run(delay_ms: float = RECEIVER_DELAY_MS, events: int = EVENTS) -> dict[str, Any]:
    recreate_pg_database()
    api_bench._seed(_bench_url(), history=events)   # a platform, its users, the events
    engine = make_engine(_bench_url())
    bank = Bank(engine)
    port = api_bench.free_port()
    receiver = subprocess.Popen([sys.executable, "-c", _RECEIVER, str(port), str(delay_ms)])
    sender = HttpSender(allowed_hosts=frozenset({"127.0.0.1"}))   # the receiver is local
    try:
        url = f"http://127.0.0.1:{port}/callback"
        for _ in range(100):
            try:
                httpx.get(url)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        bank.queries.set_settings(api_bench.TENANT, callback_url=url, return_url_prefix=None)
        started = time.perf_counter()
        delivered = rounds = 0
        while (done := bank.outbox.deliver_due(sender, bank.callback_signer)) > 0:
            delivered += done
            rounds += 1
        elapsed_s = time.perf_counter() - started
    finally:
        sender.close()
        receiver.terminate()
        receiver.wait(10)
    with engine.connect() as conn:
        states = dict(conn.execute(select(outbox_events.c.delivery, func.count())
                                   .group_by(outbox_events.c.delivery)).all())
    engine.dispose()
    return {"events": delivered, "seconds": round(elapsed_s, 2), "deliver_due_calls": rounds,
            "events_per_s": round(delivered / elapsed_s, 1), "receiver_delay_ms": delay_ms,
            "deliveries": states}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay-ms", type=float, default=RECEIVER_DELAY_MS)
    print(json.dumps(run(parser.parse_args().delay_ms)))

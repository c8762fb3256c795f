"""A real ``cunguan serve`` process on a free loopback port, and a callback receiver."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, database_url: str, port: int, env: dict[str, str],
                 args: tuple[str, ...] = ()) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cunguan", "--database-url", database_url, "serve",
             "--port", str(port), *args],
            env={**os.environ, "CUNGUAN_WORKER_INTERVAL_S": "0.3", **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
            if self.process.poll() is not None:
                break
        output = self.process.stdout.read().decode() if self.process.stdout else ""
        self.stop()
        raise RuntimeError(f"the server did not start:\n{output}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@contextmanager
def running_server(database_url: str, *args: str, **env: str) -> Iterator[Server]:
    server = Server(database_url, free_port(), env, args)
    try:
        yield server
    finally:
        server.stop()


class CallbackReceiver:
    """A platform's callback endpoint: answers 503 while ``up`` is False."""

    def __init__(self) -> None:
        self.up = False
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not receiver.up:
                    receiver.refused += 1
                    self.send_response(503)
                else:
                    receiver.received.append((dict(self.headers), body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}/callback"

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]

    def close(self) -> None:
        self.http.shutdown()

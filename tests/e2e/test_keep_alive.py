"""A server keeps an idle keep-alive connection open longer than clients keep theirs
(issue 20): a request sent on a connection idle for longer than uvicorn's default 5 s — the
idle time after which httpx drops one — is still answered on that connection, so a client
never sends on a connection the server is closing at that very moment."""

import socket
import time
from pathlib import Path

from cunguan.core import limits
from tests.e2e.server_helpers import running_server

#: Longer than uvicorn's default keep-alive (5 s), at which the server used to close.
IDLE_S = 6.5


def _get_health(sock: socket.socket) -> bytes:
    """One GET /health on the connection: its whole answer (head and body), or what came
    before the server closed the connection (b"" when it had closed it already)."""
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    sock.settimeout(5)
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            return answer
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_r_c21_an_idle_connection_is_kept_longer_than_clients_keep_theirs(tmp_path: Path
                                                                          ) -> None:
    assert limits.server_keep_alive_s > 90          # above Go's 90 s, httpx's 5 s
    url = f"sqlite:///{tmp_path / 'keep.db'}"
    from cunguan.db.connection import make_engine, upgrade
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with running_server(url, "--no-worker") as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            assert _get_health(sock).endswith(b'{"status":"ok"}')
            time.sleep(IDLE_S)
            assert _get_health(sock).endswith(b'{"status":"ok"}')   # not b"": not closed

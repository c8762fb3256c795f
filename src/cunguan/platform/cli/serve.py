"""``cunguan serve`` (the platform API, hosted pages and worker) and ``cunguan keys``."""

import socket
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import uvicorn

from cunguan.core import fields, limits
from cunguan.core.callback_targets import ALLOWED_HOSTS_ENV
from cunguan.platform.bank import Bank
from cunguan.platform.cli.common import EXIT_REJECTED, configured_url, console, engine, fail

keys = typer.Typer(help="API credentials of platforms and operators.", no_args_is_help=True)


def _bank(ctx: typer.Context) -> Bank:
    return Bank(engine(ctx))


def serve(ctx: typer.Context,
          host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port to listen on."),
          workers: int = typer.Option(1, help="Server processes (PostgreSQL for more than 1)."),
          worker: bool = typer.Option(True, help="Run batch windows and callbacks in-process "
                                                 "(or run `cunguan worker` separately)."),
          group_commit: bool = typer.Option(True, help="Commit concurrent commands together "
                                                       "(one transaction, a savepoint each)."),
          trusted_proxy: list[str] = typer.Option(
              [], help="A proxy (address or network) whose X-Forwarded-For is believed; "
                       "repeat for more (default: CUNGUAN_TRUSTED_PROXIES, else none)."),
          allow_callback_host: list[str] = typer.Option(
              [], help="A host callbacks may reach though it is not public (loopback, "
                       "private); repeat for more (default: CUNGUAN_CALLBACK_ALLOWED_HOSTS)."),
          ) -> None:
    """Serve the platform API, the bank-hosted pages and (by default) the worker."""
    import os

    import uvicorn

    fields.whole_number(port, "--port", minimum=limits.port_min, maximum=limits.port_max)
    fields.whole_number(workers, "--workers", minimum=1, maximum=limits.server_processes_max)
    engine(ctx).dispose()   # there, reachable and migrated, or one line and exit 3
    os.environ["CUNGUAN_DATABASE_URL"] = configured_url(ctx)
    os.environ["CUNGUAN_RUN_WORKER"] = "1" if worker else "0"
    os.environ["CUNGUAN_GROUP_COMMIT"] = "1" if group_commit else "0"
    proxies = _trusted_proxies(trusted_proxy)
    if allow_callback_host:
        os.environ[ALLOWED_HOSTS_ENV] = ",".join(allow_callback_host)
    # uvicorn trusts X-Forwarded-For from loopback unless told otherwise: from these only
    config = uvicorn.Config("cunguan.platform.server:app", host=host, port=port, workers=workers,
                            factory=True, log_level="warning", access_log=False,
                            timeout_keep_alive=limits.server_keep_alive_s,
                            proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)
    if workers == 1:
        uvicorn.Server(config).run()
        return
    _serve_processes(config, host, port, workers)


def _trusted_proxies(given: list[str]) -> list[str]:
    """The trusted proxies, from the option or else the environment, checked, and put in
    the environment for the app's rate limit."""
    import ipaddress
    import os

    from cunguan.core.settings import settings
    from cunguan.platform.pages import TRUSTED_PROXIES_ENV
    proxies = [p.strip() for p in given if p.strip()] or settings().trusted_proxy_list()
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError as exc:
            raise typer.BadParameter(f"{proxy} is not an address or network",
                                     param_hint="--trusted-proxy") from exc
    os.environ[TRUSTED_PROXIES_ENV] = ",".join(proxies)
    return proxies


def _serve_processes(config: "uvicorn.Config", host: str, port: int, workers: int) -> None:
    """Several server processes, each with its own listener on the same port
    (SO_REUSEPORT): the kernel spreads new connections evenly across them, where one shared
    listener let one process take most keep-alive connections."""
    import multiprocessing
    import os
    import signal

    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_serve_one, args=(config, host, port, os.getpid()),
                                daemon=True)
                for _ in range(workers)]
    for child in children:
        child.start()

    def stop(*_: object) -> None:
        for child in children:
            child.terminate()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        child.join()


def _serve_one(config: "uvicorn.Config", host: str, port: int, parent_pid: int) -> None:
    import uvicorn

    _end_with_parent(parent_pid)
    config.workers = 1
    uvicorn.Server(config).run(sockets=[_listening_socket(host, port)])


def _end_with_parent(parent_pid: int) -> None:
    """A server process stops (SIGTERM: uvicorn's orderly shutdown) when the ``cunguan serve``
    that started it dies, however it dies. Killed with SIGKILL, the parent cannot stop its
    children, and they went on answering on the port, unsupervised, beside any server started
    in its place (seen here: two generations sharing one port through SO_REUSEPORT). Linux
    only (prctl PR_SET_PDEATHSIG); elsewhere they still stop with a parent that exits."""
    import ctypes
    import os
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent_pid:      # it died before the request above took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _listening_socket(host: str, port: int) -> socket.socket:
    """One process's listener, made with proto=IPPROTO_TCP: a listener made with proto 0 (as
    uvicorn makes them) keeps asyncio from setting TCP_NODELAY on accepted connections, and
    every keep-alive answer waits ~40 ms for a delayed ACK (Kludex/uvicorn#3149; measured
    here: 44 ms per request with 2 processes, 1.4 ms with 1)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


@keys.command("issue")
def issue(ctx: typer.Context,
          platform: str = typer.Option("", help="The platform's tenant id; empty for an "
                                                "operator key."),
          sm2_public_key: str = typer.Option("", help="Hex SM2 public key, to sign with SM2."),
          ) -> None:
    """Issue a key; the secret is printed once."""
    issued = _bank(ctx).access.issue("platform" if platform else "operator", platform or None,
                                     sm2_public_key=sm2_public_key or None)
    console.print(f"key_id {issued.key_id}\nsecret {issued.secret}")


@keys.command("revoke")
def revoke(ctx: typer.Context, key_id: str = typer.Argument(...)) -> None:
    """Revoke a key at once."""
    if not _bank(ctx).access.revoke(key_id):
        fail("refused", "key_not_found", f"no active key {key_id} (unknown or revoked already)",
             EXIT_REJECTED)
    console.print(f"[green]ok[/green] revoked {key_id}")

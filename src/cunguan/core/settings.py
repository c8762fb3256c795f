"""What an operator may set for a running Cunguan, in one place (pydantic-settings).

Every setting comes from an environment variable named ``CUNGUAN_`` + its name in capitals
(``CUNGUAN_DATABASE_URL``, ``CUNGUAN_TRUSTED_PROXIES`` …), read when ``settings()`` is called —
when a server, a worker or a command starts — never when a module is imported, so a test or a
``cunguan serve`` that sets them first is obeyed. ``cunguan serve`` passes its options to its
server processes this way. docs/OPERATIONS.md lists them.
"""

from typing import Final

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from cunguan.core import limits
from cunguan.core.fields import FieldInvalid

#: The embedded database a first run uses.
DATABASE_URL_DEFAULT: Final = "sqlite:///cunguan.db"


class Settings(BaseSettings):
    """The operator's settings.

    Attributes:
      database_url: where the ledger lives (SQLite file or PostgreSQL URL); None for the default.
      worker_interval_s: seconds between a server worker's passes.
      group_commit: run single commands of concurrent requests in shared transactions.
      run_worker: a server process also delivers callbacks and runs batch windows.
      trusted_proxies: addresses or networks, comma-separated, whose X-Forwarded-For is
        believed (none by default).
      callback_allowed_hosts: hosts, comma-separated, callbacks may reach although they are
        not public (a platform inside the bank's network; a test receiver on loopback).
      fault_kill_after_commit_path: tests only — a path whose first answer is never sent
        (the process is killed after the commit) to prove a retry gets the recorded answer.
      fault_kill_in_clearing_submit: tests only — a point of a BEPS session's submission
        (``session_written``, ``items_submitted``, ``events_written``: inside its
        transaction; ``committed``: after it) where the process kills itself with SIGKILL, to
        prove a session is submitted once or not at all.
    """

    model_config = SettingsConfigDict(env_prefix="CUNGUAN_", extra="ignore")

    database_url: str | None = None
    worker_interval_s: float = Field(default=limits.server_worker_interval_default_s, gt=0,
                                     le=limits.server_worker_interval_max_s, allow_inf_nan=False)
    group_commit: bool = True
    run_worker: bool = False
    trusted_proxies: str = ""
    callback_allowed_hosts: str = ""
    fault_kill_after_commit_path: str = ""
    fault_kill_in_clearing_submit: str = ""

    @staticmethod
    def _listed(text: str) -> list[str]:
        return [item.strip() for item in text.split(",") if item.strip()]

    def trusted_proxy_list(self) -> list[str]:
        return self._listed(self.trusted_proxies)

    def callback_allowed_host_set(self) -> frozenset[str]:
        return frozenset(host.lower() for host in self._listed(self.callback_allowed_hosts))


def settings() -> Settings:
    """The settings as the environment gives them now; a value that is not of its setting's
    form (NaN seconds, "maybe" for yes/no) is refused naming its variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "CUNGUAN_" + str(first["loc"][0]).upper() if first["loc"] else "CUNGUAN_*"
        raise FieldInvalid(name, first["msg"]) from None

"""The services of one bank deployment, wired once, and the worker's periodic pass."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from cunguan.core.clock import Clock, system_clock
from cunguan.core.signing import HMAC_SHA256, sign_request
from cunguan.service_layer.access_service import AccessService
from cunguan.service_layer.batch_service import BatchService
from cunguan.service_layer.custody_queries import CustodyQueries
from cunguan.service_layer.custody_service import CustodyPolicy
from cunguan.service_layer.group_commit import GroupCommit
from cunguan.service_layer.ledger_service import LedgerService
from cunguan.service_layer.lending_service import LendingService
from cunguan.service_layer.migration_service import MigrationService
from cunguan.service_layer.outbox_service import OutboxService, Sender
from cunguan.service_layer.pages_service import PagesService

CALLBACK_PATH = "/callback"


@dataclass(frozen=True)
class WorkerPass:
    batch_items: int
    holds_expired: int
    callbacks: int
    nonces_forgotten: int


class Bank:
    def __init__(self, engine: Engine, *, clock: Clock = system_clock,
                 policy: CustodyPolicy | None = None, group_commit: bool = False) -> None:
        self.engine = engine
        self.clock = clock
        self.ledger = LedgerService(engine, clock=clock)
        self.custody = LendingService(engine, self.ledger, clock=clock, policy=policy)
        if group_commit:   # concurrent commands share DB transactions (group_commit.py)
            self.custody.runner = GroupCommit(engine, self.custody.run_alone)
        self.batches = BatchService(self.custody)
        self.migration = MigrationService(self.custody)
        self.access = AccessService(engine, clock=clock)
        self.outbox = OutboxService(engine, clock=clock)
        self.pages = PagesService(engine, self.custody, self.access, clock=clock)
        self.queries = CustodyQueries(engine)

    def sign_callback(self, tenant_id: str, body: bytes) -> dict[str, str] | None:
        """Callback headers, signed with the platform's newest key (HMAC-SHA256)."""
        key = self.access.platform_secret(tenant_id)
        if key is None:
            return None
        signed = sign_request(key[0], HMAC_SHA256, key[1], "POST", CALLBACK_PATH, body,
                              int(self.clock().timestamp()))
        return {**signed.headers(), "Content-Type": "application/json"}

    def worker_pass(self, send: Sender, now: datetime | None = None) -> WorkerPass:
        """One round of everything that runs in the background."""
        items = self.batches.run_due(now or self.clock())
        expired = sum(len(self.ledger.expire_holds(t)) for t in self.ledger.tenants())
        delivered = self.outbox.deliver_due(send, self.sign_callback)
        return WorkerPass(items, expired, delivered, self.access.forget_old_nonces())

"""The services of one bank deployment, wired once, and the worker's periodic pass."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cunguan.clearing.handlers.service import ClearingService
from cunguan.core import limits
from cunguan.core.clock import Clock, system_clock
from cunguan.core.errors import invariant, present
from cunguan.core.signing import HMAC_SHA256, sign_request
from cunguan.custody.handlers.base import CustodyResult, Gate
from cunguan.custody.handlers.batches import BatchService
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.handlers.migration import MigrationService
from cunguan.custody.handlers.service import CustodyPolicy
from cunguan.custody.handlers.users import Opening
from cunguan.custody.store.queries import CustodyQueries
from cunguan.db.connection import Connection, Engine
from cunguan.ledger.service import LedgerService
from cunguan.platform.access import (
    AccessError,
    AccessService,
    Principal,
    SignedRequest,
    replayed,
)
from cunguan.platform.coalescer import Coalescer
from cunguan.platform.group_commit import GroupCommit
from cunguan.platform.outbox import OutboxService, Sender
from cunguan.platform.pages_service import PagesService

CALLBACK_PATH = "/callback"
#: A request for a set-based call: its (key id, nonce) to record first, or None, and the item.
Signed = tuple[tuple[str, str] | None, Any]
#: Custody operations whose single requests the server may coalesce, and the set-based call
#: that runs many (each answers exactly as its single form: tests/custody/integration/
#: test_set_based_commands.py).
SET_BASED_CALLS = {"red_packet": "red_packets", "recharge": "recharges", "bid": "bids",
                   "register_project": "register_projects", "lend": "lends", "repay": "repays",
                   "settle_repayment": "settle_repayments",
                   "withdraw": "withdraws", "channel_result": "channel_results",
                   "buy_claim": "buy_claims", "open_user": "open_users"}


@dataclass(frozen=True)
class WorkerPass:
    batch_items: int
    holds_expired: int
    callbacks: int
    nonces_forgotten: int

    @property
    def callbacks_more_due(self) -> bool:
        """The pass's last page of callbacks was full (its time ran out, or the due events
        ended with a page): the next pass should start at once instead of after a rest."""
        return self.callbacks > 0 and self.callbacks % limits.events_per_page_max == 0


class Bank:
    def __init__(self, engine: Engine, *, clock: Clock = system_clock,
                 policy: CustodyPolicy | None = None, group_commit: bool = False) -> None:
        self.engine = engine
        self.clock = clock
        self.ledger = LedgerService(engine, clock=clock)
        self.clearing = ClearingService(engine, self.ledger, clock=clock)
        #: BEPS is a payout rail when the policy's routing enables it (issue 22).
        self.custody = LendingService(engine, self.ledger, clock=clock, policy=policy,
                                      beps=self.clearing)
        #: With group commit, concurrent requests share DB transactions: commands each in a
        #: savepoint (group_commit.py); signature checks, and the operations that have a
        #: set-based form, as one set-based call (coalescer.py).
        self.admission: Coalescer[None, SignedRequest, Principal | AccessError] | None = None
        self.set_based: Coalescer[tuple[str, str], Signed, CustodyResult] | None = None
        self.batches = BatchService(self.custody)
        self.migration = MigrationService(self.custody)
        self.access = AccessService(engine, clock=clock)
        self.outbox = OutboxService(engine, clock=clock)
        self.pages = PagesService(engine, self.custody, self.access, clock=clock)
        self.queries = CustodyQueries(engine)
        if group_commit:
            self.custody.runner = GroupCommit(engine, self.custody.run_alone)
            self.admission = Coalescer(lambda _, requests: self.access.authenticate_many(
                requests), limits.group_commit_commands_max, name="admission")
            self.set_based = Coalescer(self.run_signed, limits.group_commit_commands_max,
                                       name="set-based", writers=limits.coalesce_writers)
            self.custody.opening_runner = self._open_grouped

    def _open_grouped(self, tenant_id: str, opening: Opening) -> CustodyResult:
        """An opening (its password hashed by the caller's thread) run with the concurrent
        ones in one set-based ``open_users``."""
        coalescer = present(self.set_based, "openings are grouped only with group commit")
        answer = coalescer.call((tenant_id, "open_user"), (None, opening))
        invariant(isinstance(answer, CustodyResult), "an opening has no nonce to refuse")
        return answer

    def run_signed(self, key: tuple[str, str], entries: Sequence["Signed"]
                   ) -> list[CustodyResult | AccessError]:
        """``run_set_based`` for requests whose nonces are recorded here (``None``: recorded
        at admission already), in the command's own DB transaction: a nonce is spent if and
        only if its request's outcome is committed, and one transaction serves both. A
        replayed nonce turns its request away before the command sees it."""
        nonces = [nonce for nonce, _ in entries if nonce is not None]
        items = [item for _, item in entries]
        if not nonces:
            return list(self.run_set_based(key, items))
        admitted: list[bool] = []

        def gate(conn: Connection) -> list[AccessError | None]:
            new = iter(self.access.remember_nonces_in(conn, nonces))
            admitted[:] = [nonce is None or next(new) for nonce, _ in entries]
            return [None if ok else replayed() for ok in admitted]
        answers = self.run_set_based(key, items, gate)
        return [answer if ok else replayed()
                for answer, ok in zip(answers, admitted, strict=True)]

    def run_set_based(self, key: tuple[str, str], requests: Sequence[Any],
                      gate: Gate | None = None) -> list[CustodyResult]:
        """Requests of one operation (``SET_BASED_CALLS``) of one platform, set-based."""
        tenant_id, operation = key
        call = getattr(self.custody, SET_BASED_CALLS[operation])
        answers: list[CustodyResult] = call(tenant_id, requests, gate)
        return answers

    def callback_signer(self, tenant_id: str) -> Callable[[bytes], dict[str, str]] | None:
        """What signs callback bodies for the platform — their headers, HMAC-SHA256 with its
        newest key as read now — or None when it has no key. A delivery page reads the key
        once per platform, not once per event."""
        key = self.access.platform_secret(tenant_id)
        if key is None:
            return None
        key_id, secret = key

        def sign(body: bytes) -> dict[str, str]:
            signed = sign_request(key_id, HMAC_SHA256, secret, "POST", CALLBACK_PATH, body,
                                  int(self.clock().timestamp()))
            return {**signed.headers(), "Content-Type": "application/json"}
        return sign

    def worker_pass(self, send: Sender, now: datetime | None = None) -> WorkerPass:
        """One round of everything that runs in the background."""
        items = self.batches.run_due(now or self.clock())
        expired = sum(len(self.ledger.expire_holds(t)) for t in self.ledger.tenants())
        delivered = self.outbox.deliver_due(send, self.callback_signer)
        return WorkerPass(items, expired, delivered, self.access.forget_old_nonces())

"""Transaction ids on PostgreSQL: unique, handed out in blocks so a batch needs no extra round
trip. (SQLite takes its ids inside the writing transaction: ``BatchStore.allocate_ids``.)

Ids increase within a process but not across processes, and have gaps; order of an account's
history comes from its own ``entry_seq``, never from ids.
"""

import threading
from collections.abc import Callable, Iterator

from sqlalchemy import Engine, text

from cunguan.core import limits

NEXT_BLOCK_SQL = "SELECT nextval('tx_id_seq')"


class IdBlocks:
    """Reserves ids before a batch's DB transaction opens, so reserving never waits on it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._next = 0
        self._end = 0

    def reserve(self, count: int, fetch: Callable[[], int] | None = None) -> Iterator[int]:
        """Ids for up to ``count`` new transactions, private to the caller.

        ``fetch`` gives the next block's start on the caller's own connection: a caller inside
        a DB transaction must not wait for a second pooled connection (under load every
        connection may be held by transactions queued behind this one's locks)."""
        ranges: list[range] = []
        with self._lock:
            while count > 0:
                if self._next == self._end:
                    start = fetch() if fetch is not None else self._fetch_block()
                    self._next, self._end = start, start + limits.ids_per_block
                taken = min(count, self._end - self._next)
                ranges.append(range(self._next, self._next + taken))
                self._next += taken
                count -= taken
        return (tx_id for block in ranges for tx_id in block)

    def _fetch_block(self) -> int:
        # The sequence steps by ids_per_block: nextval is the start of a block of our own.
        with self._engine.begin() as conn:
            return int(conn.execute(text(NEXT_BLOCK_SQL)).scalar_one())

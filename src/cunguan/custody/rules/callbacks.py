"""Callback retry timing (R-C21): pure, so the schedule can be tested without a clock."""

import random
from datetime import datetime, timedelta

from cunguan.core import limits


def retry_delay_s(attempts: int, rng: random.Random) -> float:
    """Exponential back-off with jitter after ``attempts`` failed deliveries (≥ 1): the
    ceiling doubles from the base up to the cap; the delay is drawn from its upper half so
    retries spread out but never come sooner than half the schedule."""
    ceiling = min(limits.callback_retry_cap_s, limits.callback_retry_base_s * 2 ** (attempts - 1))
    return rng.uniform(ceiling / 2, ceiling)


def next_attempt(created_at: datetime, now: datetime, attempts: int,
                 rng: random.Random) -> datetime | None:
    """When to try again, or None once the give-up period since the event is over."""
    due = now + timedelta(seconds=retry_delay_s(attempts, rng))
    if due - created_at > timedelta(seconds=limits.callback_give_up_after_s):
        return None
    return due

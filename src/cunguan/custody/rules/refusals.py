"""Custody's refusals: every code a custody command may answer besides ``ok``."""

from cunguan.core.errors import CunguanError


class CustodyError(CunguanError):
    """A custody command refused with a named code (listed in docs/ERRORS.md)."""

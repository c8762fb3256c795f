"""Statement formats: bytes in, ``rules.statements.Statement`` out (or a refusal naming the
line and the reason). No database, no I/O beyond the bytes given.

``read_statement(data, format_name, account_no=None)`` dispatches by name (``FORMAT_NAMES``):
``csv:<bank>`` and ``xlsx:<bank>`` for the shipped layouts (``presets``), ``mt940``,
``camt.053``, ``camt.054`` and ``channel:quickpay``. A bank layout an operator defines is read
with ``read_table_statement(data, column_map, kind="csv"|"xlsx")``.

Every statement that states both balances is checked: opening + booked lines = closing
(``statement_balance_mismatch``); a format without a statement id gets one derived from the
account, the dates and the file's hash. Files beyond ``statement_file_bytes_max`` or
``statement_lines_max`` are refused (``statement_too_large``).
"""

from collections.abc import Callable

from cunguan.core.process import collection_paused
from cunguan.reconcile.formats import camt, channel, common, swift, tabular
from cunguan.reconcile.formats.columns import ColumnMap, column_map_from_mapping
from cunguan.reconcile.formats.presets import PRESETS
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import Statement

__all__ = ["FORMAT_NAMES", "ColumnMap", "column_map_from_mapping", "read_statement",
           "read_table_statement"]

_Reader = Callable[[bytes, str | None], Statement]


def _table_reader(kind: str, cmap: ColumnMap) -> _Reader:
    def read(data: bytes, account_no: str | None) -> Statement:
        return read_table_statement(data, cmap, kind=kind, account_no=account_no)
    return read


_READERS: dict[str, _Reader] = {
    **{f"csv:{name}": _table_reader("csv", cmap) for name, cmap in PRESETS.items()},
    **{f"xlsx:{name}": _table_reader("xlsx", cmap) for name, cmap in PRESETS.items()},
    "mt940": swift.read_mt940,
    "camt.053": camt.read_camt053,
    "camt.054": camt.read_camt054,
    "channel:quickpay": channel.read_quickpay,
}

#: Every format name ``read_statement`` reads.
FORMAT_NAMES: tuple[str, ...] = tuple(_READERS)


def read_statement(data: bytes, format_name: str, *, account_no: str | None = None) -> Statement:
    """The statement a file holds, read in the format named; ``account_no`` names the account
    when the file does not (and must equal it when it does)."""
    reader = _READERS.get(format_name) if isinstance(format_name, str) else None
    if reader is None:
        raise ReconcileError(Refusal.FIELD_INVALID,
                             f"unknown statement format; one of {', '.join(FORMAT_NAMES)}",
                             field="format_name", reason="unknown format")
    common.check_size(data)
    with collection_paused():   # a million lines, all kept: see collection_paused
        return reader(bytes(data), account_no)


def read_table_statement(data: bytes, cmap: ColumnMap, *, kind: str = "csv",
                         account_no: str | None = None) -> Statement:
    """A bank export read through an operator's layout (``column_map_from_mapping``)."""
    if kind not in ("csv", "xlsx") or not isinstance(cmap, ColumnMap):
        raise ReconcileError(Refusal.FIELD_INVALID, "kind is csv or xlsx, with a ColumnMap",
                             field="kind", reason="unknown kind")
    common.check_size(data)
    source = f"{kind}:{cmap.name}"
    with collection_paused():
        if kind == "csv":
            return tabular.read_csv(bytes(data), cmap, source_format=source,
                                    account_no=account_no)
        return tabular.read_xlsx(bytes(data), cmap, source_format=source,
                                 account_no=account_no)

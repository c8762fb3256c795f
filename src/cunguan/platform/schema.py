"""The whole schema: every context's tables on the one ``MetaData`` (one Alembic history).
Alembic's environment and the schema tests read it from here, so no table is left out."""

from cunguan.clearing.store import tables as clearing_tables
from cunguan.custody.store import tables as custody_tables
from cunguan.db import outbox
from cunguan.db.schema import metadata
from cunguan.ledger.store import tables as ledger_tables
from cunguan.platform.store import tables as platform_tables
from cunguan.reconcile.store import platform_files as reconcile_platform_files
from cunguan.reconcile.store import tables as reconcile_tables

#: The modules whose tables make up the schema (imported for their tables).
TABLE_MODULES = (ledger_tables, custody_tables, platform_tables, reconcile_tables,
                 reconcile_platform_files, clearing_tables, outbox)

__all__ = ["TABLE_MODULES", "metadata"]

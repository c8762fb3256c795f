"""Reading an exchange-originated project's records (R-C8), for every project read (the
service API and ``GET /v1/projects/{id}``); written by ``exchange_projects.py``."""

from typing import Any

from sqlalchemy import Engine, select

from cunguan.custody.store.tables import custody_project_origins
from cunguan.db.connection import read_connection


def exchange_origin(engine: Engine, tenant_id: str, project_id: str) -> dict[str, Any] | None:
    """A project's exchange records as a JSON-ready view (None: not exchange-originated);
    the payee account is masked like every account no. the API shows."""
    o = custody_project_origins.c
    with read_connection(engine) as conn:
        row = conn.execute(select(custody_project_origins).where(
            o.tenant_id == tenant_id, o.project_id == project_id)).first()
    if row is None:
        return None
    view = {k: v.isoformat() if hasattr(v, "isoformat") else v
            for k, v in row._mapping.items() if k not in ("tenant_id", "project_id")}
    payee = str(view.pop("payee_account_no"))
    view["payee_account_masked"] = payee[:3] + "*" * (len(payee) - 7) + payee[-4:]
    return view

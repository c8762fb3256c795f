"""Read-only custody views for the platform API (R-C21): users, projects and their repayment
plans, claims, withdrawals; and the platform's own API settings.

Every query takes the caller's tenant and filters by it first, so an id from another platform
finds nothing.
"""

from typing import Any

from sqlalchemy import Engine, Table, select, update

from cunguan.core.fields import FieldInvalid
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store.origins import exchange_origin
from cunguan.custody.store.tables import (
    custody_cards,
    custody_claims,
    custody_installments,
    custody_platforms,
    custody_projects,
    custody_users,
    custody_withdrawals,
)
from cunguan.db.connection import read_connection

_USER_FIELDS = ("user_id", "kind", "role", "status", "name", "account_no", "risk_tolerance",
                "created_at")


def _plain(row: Any, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    mapping = dict(row._mapping)
    picked = {k: mapping[k] for k in fields} if fields else mapping
    picked.pop("tenant_id", None)
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in picked.items()}


class CustodyQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _one(self, table: Table, tenant_id: str, key: str, value: str, missing: str) -> Any:
        with read_connection(self.engine) as conn:
            row = conn.execute(select(table).where(table.c.tenant_id == tenant_id,
                                                   table.c[key] == value)).first()
        if row is None:
            raise CustodyError(missing, f"no {key} {value}")
        return row

    def user(self, tenant_id: str, user_id: str) -> dict[str, Any]:
        """A user's account; never the password hash, ID no. or mobile in full."""
        row = self._one(custody_users, tenant_id, "user_id", user_id, "user_not_found")
        c = custody_cards.c
        with read_connection(self.engine) as conn:
            cards = conn.execute(select(c.card_no, c.bank_name, c.quick_pay).where(
                c.tenant_id == tenant_id, c.user_id == user_id, c.status == "bound",
            ).order_by(c.card_no)).all()
        return {**_plain(row, _USER_FIELDS),
                "id_no_masked": _mask(row.id_no), "mobile_masked": _mask(row.mobile),
                "password_locked": row.locked_until is not None,
                "cards": [{"card_no_masked": _mask(no), "card_no_last4": no[-4:],
                           "bank": bank, "quick_pay": bool(quick)}
                          for no, bank, quick in cards]}

    def user_account_no(self, tenant_id: str, user_id: str) -> str:
        row = self._one(custody_users, tenant_id, "user_id", user_id, "user_not_found")
        return str(row.account_no)

    def project(self, tenant_id: str, project_id: str) -> dict[str, Any]:
        row = self._one(custody_projects, tenant_id, "project_id", project_id,
                        "project_not_found")
        return {**_plain(row), "origin": exchange_origin(self.engine, tenant_id, project_id)}

    def schedule(self, tenant_id: str, project_id: str) -> list[dict[str, Any]]:
        """The repayment plan: each installment and where it stands."""
        self._one(custody_projects, tenant_id, "project_id", project_id, "project_not_found")
        i = custody_installments.c
        with read_connection(self.engine) as conn:
            rows = conn.execute(select(i.period, i.due_date, i.principal_fen, i.interest_fen,
                                       i.penalty_fen, i.status).where(
                i.tenant_id == tenant_id, i.project_id == project_id).order_by(i.period)).all()
        return [_plain(row) for row in rows]

    def claims(self, tenant_id: str, *, project_id: str | None = None,
               holder_user_id: str | None = None) -> list[dict[str, Any]]:
        k = custody_claims.c
        query = select(custody_claims).where(k.tenant_id == tenant_id)
        if project_id is not None:
            self._one(custody_projects, tenant_id, "project_id", project_id,
                      "project_not_found")
            query = query.where(k.project_id == project_id)
        if holder_user_id is not None:
            self._one(custody_users, tenant_id, "user_id", holder_user_id, "user_not_found")
            query = query.where(k.holder_user_id == holder_user_id)
        with read_connection(self.engine) as conn:
            rows = conn.execute(query.order_by(k.claim_id).limit(1_000)).all()
        return [_plain(row) for row in rows]

    def withdrawal(self, tenant_id: str, withdrawal_no: str) -> dict[str, Any]:
        row = self._one(custody_withdrawals, tenant_id, "request_no", withdrawal_no,
                        "withdrawal_not_found")
        view = _plain(row)
        view["card_no_masked"] = _mask(view.pop("card_no"))
        return view

    def settings(self, tenant_id: str) -> dict[str, Any]:
        row = self._one(custody_platforms, tenant_id, "tenant_id", tenant_id,
                        "tenant_not_found")
        return {"tenant_id": tenant_id, "name": row.name, "callback_url": row.callback_url,
                "return_url_prefix": row.return_url_prefix,
                "strict_reserved_phone": bool(row.strict_reserved_phone)}

    def set_settings(self, tenant_id: str, **changes: Any) -> dict[str, Any]:
        """Change the named settings, and only those, in one statement: two platform calls
        changing different settings at once both take effect (``None`` clears a text
        setting and turns a yes/no setting off)."""
        unknown = sorted(set(changes) - set(SETTINGS))
        if unknown:
            raise CustodyError(Refusal.FIELD_INVALID, f"no such setting: {', '.join(unknown)}")
        for name, value in changes.items():
            if SETTINGS[name] is bool and not isinstance(value, bool):
                raise FieldInvalid(name, "must be true or false")   # never cleared by a null
        values = {name: int(value) if SETTINGS[name] is bool else value
                  for name, value in changes.items()}
        with self.engine.begin() as conn:
            found = conn.execute(update(custody_platforms).where(
                custody_platforms.c.tenant_id == tenant_id,
            ).values(**values)).rowcount if values else 1
        if not found:
            raise CustodyError(Refusal.TENANT_NOT_FOUND, f"no platform {tenant_id}")
        return self.settings(tenant_id)


#: A platform's settings and their kinds (R-A1's strict_reserved_phone is a yes/no).
SETTINGS: dict[str, type] = {"callback_url": str, "return_url_prefix": str,
                             "strict_reserved_phone": bool}


def _mask(text: str) -> str:
    """Keep the first 3 and last 4 characters: enough to recognise, not to reuse."""
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]

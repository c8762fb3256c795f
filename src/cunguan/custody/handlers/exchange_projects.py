"""Exchange-originated projects (R-C8): registered together with the exchange's original loan
contract and offline disbursement record, which the bank keeps and shows with the project.

Registration is one custody command (one serial no., one DB transaction): the project's own
checks and row exactly as ``LendingService.register_project`` makes them, then the records,
checked against each other and the project (``custody/rules/contracts.py``), against the
borrower's bound cards, and against the records that already back the platform's projects.
"""

from typing import Any

from cunguan.core.errors import CunguanError
from cunguan.custody.handlers.base import CustodyResult, Data, checked_each, only
from cunguan.custody.handlers.lending_service import LendingService, ProjectTerms
from cunguan.custody.rules.contracts import (
    ExchangeOrigin,
    OriginError,
    check_first_use,
    check_origin,
    check_payee,
    origin_row,
)
from cunguan.custody.rules.refusals import CustodyError
from cunguan.custody.store import origins
from cunguan.db.connection import Connection


class ExchangeProjects:
    def __init__(self, lending: LendingService) -> None:
        self.lending = lending

    def register(self, tenant_id: str, terms: ProjectTerms,
                 origin: ExchangeOrigin) -> CustodyResult:
        """Register an exchange-originated project with its contract and disbursement."""
        (terms,), (malformed,) = checked_each([terms])   # each field's form, as every command
        try:
            if malformed is not None:
                raise malformed
            terms.check()
            origin = origin.checked()
            check_origin(origin, amount_fen=terms.amount_fen, annual_rate=terms.annual_rate,
                         months=terms.months)
        except CunguanError as exc:     # a malformed field (field_invalid) or bad terms
            return CustodyResult(terms.request_no, False, exc.code, exc.message,
                                 dict(exc.details))
        except OriginError as exc:
            return CustodyResult(terms.request_no, False, exc.code, str(exc))
        content = {**terms.content(), "origin": origin_row("", "", origin, None)}

        def work(conn: Connection) -> Data:
            registered = only(self.lending._register(conn, tenant_id, [terms])[0])
            try:
                check_payee(origin, origins.bound_card_nos(conn, tenant_id,
                                                           terms.borrower_user_id))
                _check_first_use(conn, tenant_id, origin)
                _record(conn, origin_row(tenant_id, terms.project_id, origin,
                                         self.lending.clock()))
            except OriginError as exc:
                raise CustodyError(exc.code, str(exc)) from exc
            return {**registered, "origin": "exchange", "contract_no": origin.contract_no}
        return self.lending.command(tenant_id, terms.request_no, "register_exchange_project",
                                    content, work)

    def origin(self, tenant_id: str, project_id: str) -> dict[str, Any] | None:
        """The project's exchange records (None when it is not exchange-originated)."""
        return origins.exchange_origin(self.lending.engine, tenant_id, project_id)


def _check_first_use(conn: Connection, tenant_id: str, origin: ExchangeOrigin) -> None:
    check_first_use(origin, contract_backs=origins.backing_project(
        conn, tenant_id, "contract_no", origin.contract_no),
        disbursement_backs=origins.backing_project(
            conn, tenant_id, "disbursement_no", origin.disbursement_no))


def _record(conn: Connection, row: dict[str, Any]) -> None:
    """Insert the records; a registration that took the contract or the disbursement while
    this one ran (the unique keys, migration 0019) is answered as if it had come first."""
    origins.insert_origin(conn, row, taken=lambda: _check_first_use(
        conn, row["tenant_id"], ExchangeOrigin(
            **{name: row[name] for name in ExchangeOrigin.__slots__})))

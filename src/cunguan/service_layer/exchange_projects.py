"""Exchange-originated projects (R-C8): registered together with the exchange's original loan
contract and offline disbursement record, which the bank keeps and shows with the project.

Registration is one custody command (one serial no., one DB transaction): the project's own
checks and row exactly as ``LendingService.register_project`` makes them, then the records,
checked against each other and the project (``custody/rules/contracts.py``).
"""

from typing import Any

from sqlalchemy import Connection, insert

from cunguan.adapters.store.custody_tables import custody_project_origins
from cunguan.core.errors import CunguanError
from cunguan.custody.rules.contracts import ExchangeOrigin, OriginError, check_origin, origin_row
from cunguan.service_layer.custody_base import CustodyResult, Data, only
from cunguan.service_layer.lending_service import LendingService, ProjectTerms
from cunguan.service_layer.project_origins import exchange_origin


class ExchangeProjects:
    def __init__(self, lending: LendingService) -> None:
        self.lending = lending

    def register(self, tenant_id: str, terms: ProjectTerms,
                 origin: ExchangeOrigin) -> CustodyResult:
        """Register an exchange-originated project with its contract and disbursement."""
        try:
            terms.check()
            origin = origin.checked()
            check_origin(origin, amount_fen=terms.amount_fen, annual_rate=terms.annual_rate,
                         months=terms.months)
        except CunguanError as exc:     # a malformed field (field_invalid) or bad terms
            return CustodyResult(terms.request_no, False, exc.code, exc.message)
        except OriginError as exc:
            return CustodyResult(terms.request_no, False, exc.code, str(exc))
        content = {**terms.content(), "origin": origin_row("", "", origin, None)}

        def work(conn: Connection) -> Data:
            registered = only(self.lending._register(conn, tenant_id, [terms])[0])
            conn.execute(insert(custody_project_origins).values(origin_row(
                tenant_id, terms.project_id, origin, self.lending.clock())))
            return {**registered, "origin": "exchange", "contract_no": origin.contract_no}
        return self.lending.command(tenant_id, terms.request_no, "register_exchange_project",
                                    content, work)

    def origin(self, tenant_id: str, project_id: str) -> dict[str, Any] | None:
        """The project's exchange records (None when it is not exchange-originated)."""
        return exchange_origin(self.lending.engine, tenant_id, project_id)

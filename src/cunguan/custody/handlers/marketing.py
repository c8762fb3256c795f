"""Marketing (R-C18): cash red packets from the platform's marketing account to its users."""

from collections.abc import Sequence

from cunguan.core.errors import CunguanError
from cunguan.custody.handlers.base import (
    CustodyBase,
    CustodyResult,
    Data,
    Gate,
    checked,
    checked_each,
    set_based,
)
from cunguan.custody.handlers.commands import red_packet_of
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import lookups
from cunguan.db.connection import Connection
from cunguan.ledger.model import Transfer


class Marketing(CustodyBase):
    @checked()
    def red_packet(self, tenant_id: str, request_no: str, user_id: str,
                   amount_fen: int) -> CustodyResult:
        """A cash red packet: from the marketing account to the user, irreversible."""
        return self.red_packets(tenant_id, [(request_no, user_id, amount_fen)])[0]

    @set_based(tuple)
    def red_packets(self, tenant_id: str, packets: Sequence[tuple[str, str, int]],
                    gate: Gate | None = None) -> list[CustodyResult]:
        """A campaign's cash red packets — (request no., user, amount) each — in one DB
        transaction, set-based; each packet answers as ``red_packet`` would."""
        checked_packets, invalid = checked_each([red_packet_of(p) for p in packets])
        items = [(p.request_no, {"user": p.user_id, "amount": p.amount_fen})
                 for p in checked_packets]

        def work(conn: Connection, new: list[int]) -> list[Data | CunguanError]:
            return self._pay_red_packets(conn, tenant_id,
                                         [checked_packets[i].fields() for i in new])
        return self.commands_many(tenant_id, "red_packet", items, work, gate, invalid)

    def _pay_red_packets(self, conn: Connection, tenant_id: str,
                         packets: Sequence[tuple[str, str, int]]) -> list[Data | CunguanError]:
        """Marketing account → users, as one independent ledger batch: a packet refused (an
        unknown or inactive user, a short marketing account) changes nothing."""
        status: dict[str, str] = {user: row.status for user, row in lookups.users(
            conn, tenant_id, {user for _, user, _ in packets}).items()}
        outcomes: list[Data | CunguanError] = []
        transfers = []
        for no, user, amount in packets:
            if user not in status:
                outcomes.append(CustodyError(Refusal.USER_NOT_FOUND, f"no user_id {user}"))
            elif status[user] != "active":
                outcomes.append(CustodyError(Refusal.USER_NOT_ACTIVE, f"user {user} is "
                                                                f"{status[user]}"))
            else:
                outcomes.append({})
                transfers.append(Transfer(no, chart.MARKETING, chart.user_account_no(user),
                                          amount, "red_packet"))
        posted = iter(self.ledger.post_in(conn, tenant_id, transfers, linked=False))
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, dict):
                result = next(posted)
                outcomes[index] = ({"tx_id": result.tx_id} if result.ok else CustodyError(
                    str(result.reject), result.detail or str(result.reject),
                    ledger_request_no=result.request_no))
        return outcomes

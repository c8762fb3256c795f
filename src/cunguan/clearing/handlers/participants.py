"""Setting up a clearing system and its participants; caps, funding and earmarks (R-S1, R-S3).

A cap change takes effect at once: the queues are released against the new cap in the same
transaction (R-S4)."""

from datetime import date
from typing import Any

from cunguan.clearing.handlers.base import (
    CLEARING_ACCOUNT,
    FEE_ACCOUNT,
    FUNDING_ACCOUNT,
    settlement_account,
)
from cunguan.clearing.handlers.netting import Netting
from cunguan.clearing.rules.caps import available_cap_fen
from cunguan.clearing.rules.parameters import ClearingParameters
from cunguan.clearing.rules.participants import Participant, Role, Status, bank_code
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.clearing.rules.sessions import sessions_on, times_change_refusal
from cunguan.clearing.store import sessions, systems
from cunguan.core import limits
from cunguan.core.errors import CunguanError
from cunguan.core.fields import amount_fen, choice, identifier, text, whole_number
from cunguan.db.connection import Connection
from cunguan.ledger.model import AccountSpec, Freeze, Release, Result, Side, Transfer


class Participants(Netting):
    def create_system(self, work_date: date, params: ClearingParameters | None = None) -> None:
        """The system, its ledger tenant and accounts, its first working day."""
        params = params or ClearingParameters()
        with self.engine.begin() as conn:
            if systems.system(conn, self.system_id) is not None:
                raise ClearingError(Refusal.SYSTEM_EXISTS, f"{self.system_id} exists already")
        try:
            self.ledger.create_tenant(self.system_id, "BEPS clearing", work_date)
        except CunguanError as exc:
            if exc.code != "tenant_exists":
                raise
        try:   # a set-up cut short before is taken up where it stopped
            self.ledger.open_accounts(self.system_id, [
                AccountSpec(CLEARING_ACCOUNT, "NPC", "clearing", "3001", Side.CREDIT),
                AccountSpec(FUNDING_ACCOUNT, "SAPS", "funding", "1001", Side.DEBIT),
                AccountSpec(FEE_ACCOUNT, "NPC", "fee_income", "6011", Side.CREDIT)])
        except CunguanError as exc:
            if exc.code != "account_exists":
                raise
        self.unit(lambda conn: systems.insert_system(conn, self.system_id, work_date, params,
                                                     self.clock()))

    def set_parameters(self, params: ClearingParameters) -> None:
        """New parameters (session times …), in force at once (R-S5)."""
        def work(conn: Connection) -> None:
            work_date, current = self.system(conn, lock=True)
            refusal = times_change_refusal(
                sessions_on(work_date, self.calendar, current.session_times),
                sessions_on(work_date, self.calendar, params.session_times), work_date,
                self.clock(), {s.session_no for s in sessions.sessions(conn, self.system_id,
                                                                       work_date)})
            if refusal is not None:
                raise ClearingError(Refusal.SUBMITTED_IRREVOCABLE,
                                    f"session times not changed: {refusal}",
                                    field="session_times", reason=refusal)
            systems.update_parameters(conn, self.system_id, params)
        self.unit(work)

    def add_participant(self, code: object, name: object, role: object,
                        clearing_bank_code: object | None = None) -> Participant:
        """Register a bank; a direct one gets its settlement account on the ledger."""
        member = _participant(code, name, role, clearing_bank_code)

        def work(conn: Connection) -> Participant:
            self.system(conn)
            register = systems.register(conn, self.system_id)
            if member.bank_code in register:
                raise ClearingError(Refusal.PARTICIPANT_EXISTS, f"{member.bank_code} exists")
            through = register.get(member.clearing_bank_code)
            if member.role is Role.INDIRECT and (
                    through is None or through.role is not Role.DIRECT
                    or through.status is not Status.OPEN):
                raise ClearingError(Refusal.PARTICIPANT_INVALID,
                                    f"{member.clearing_bank_code} is no open direct participant")
            account = None
            if member.role is Role.DIRECT:
                account = settlement_account(member.bank_code)
                self.ledger.open_accounts_in(conn, self.system_id, [AccountSpec(
                    account, member.bank_code, "settlement", "2001", Side.CREDIT)])
            systems.insert_participant(conn, self.system_id, member, account, self.clock())
            return member
        return self.unit(work)

    def participant(self, code: object) -> Participant:
        """A registered participant, or ``bank_unknown``."""
        bank = bank_code(code)

        def work(conn: Connection) -> Participant:
            self.system(conn)
            member = systems.register(conn, self.system_id).get(bank)
            if member is None:
                raise ClearingError(Refusal.BANK_UNKNOWN, f"no participant {bank}",
                                    bank_code=bank)
            return member
        return self.unit(work)

    def set_status(self, code: object, status: object) -> None:
        bank = bank_code(code)
        state = Status(choice(status, "status", tuple(s.value for s in Status)))
        self.unit(lambda conn: systems.set_status(conn, self.system_id, bank, state))

    def set_cap(self, code: object, *, collateral_fen: object, haircut_bps: object,
                credit_line_fen: object) -> dict[str, Any]:
        """Pledged collateral, its haircut and the credit line; earmarks are their own
        command. In force at once: the queues are released against the new cap."""
        bank = bank_code(code)
        parts = {"collateral_fen": amount_fen(collateral_fen, "collateral_fen", minimum=0),
                 "haircut_bps": whole_number(haircut_bps, "haircut_bps", minimum=0,
                                             maximum=10_000),
                 "credit_line_fen": amount_fen(credit_line_fen, "credit_line_fen", minimum=0)}

        def work(conn: Connection) -> dict[str, Any]:
            self._direct(conn, bank)
            systems.set_cap_parts(conn, self.system_id, bank, **parts)
            self.release(conn)
            return self._cap_view(conn, bank)
        return self.unit(work)

    def fund(self, request_no: object, code: object, amount: object) -> Result:
        """Money into a settlement account from outside the system (a funding move)."""
        request = identifier(request_no, "request_no", limits.request_no_length_max)
        bank = bank_code(code)
        value = amount_fen(amount)

        def work(conn: Connection) -> Result:
            self._direct(conn, bank)
            [result] = self.ledger.post_in(conn, self.system_id, [Transfer(
                request, FUNDING_ACCOUNT, settlement_account(bank), value, "clearing_funding",
                funding=True)])
            _raise_rejected(result)
            return result
        return self.unit(work)

    def earmark(self, request_no: object, code: object, amount: object) -> dict[str, Any]:
        """Set funds aside on the settlement account (圈存): a ledger hold; the cap grows by
        it at once and the queues are released against it (R-S3, R-S4)."""
        request = identifier(request_no, "request_no", limits.request_no_length_max)
        bank = bank_code(code)
        value = amount_fen(amount)

        def work(conn: Connection) -> dict[str, Any]:
            row = self._direct(conn, bank)
            if systems.earmark(conn, self.system_id, request) is not None:
                return self._cap_view(conn, bank)      # a replay: the first answer stands
            [result] = self.ledger.post_in(conn, self.system_id, [Freeze(
                request, settlement_account(bank), value, "earmarked for BEPS",
                business_type="clearing_earmark")])
            _raise_rejected(result)
            systems.insert_earmark(conn, self.system_id, request, bank, value,
                                   int(result.tx_id or 0), self.clock())
            systems.set_cap_parts(conn, self.system_id, bank,
                                  earmarked_fen=row.earmarked_fen + value)
            self.release(conn)
            return self._cap_view(conn, bank)
        return self.unit(work)

    def release_earmark(self, request_no: object) -> dict[str, Any]:
        """End an earmark: its hold is released and the cap shrinks by it."""
        request = identifier(request_no, "request_no", limits.request_no_length_max)

        def work(conn: Connection) -> dict[str, Any]:
            mark = systems.earmark(conn, self.system_id, request)
            if mark is None or mark.released:
                raise ClearingError(Refusal.EARMARK_NOT_FOUND, f"no active earmark {request}")
            row = self._direct(conn, mark.bank_code)
            [result] = self.ledger.post_in(conn, self.system_id, [Release(
                f"{request}#release", mark.hold_id, "earmark ended",
                business_type="clearing_earmark_release")])
            _raise_rejected(result)
            systems.mark_earmark_released(conn, self.system_id, request)
            systems.set_cap_parts(conn, self.system_id, mark.bank_code,
                                  earmarked_fen=row.earmarked_fen - mark.amount_fen)
            return self._cap_view(conn, mark.bank_code)
        return self.unit(work)

    def available_cap(self, code: object) -> dict[str, Any]:
        """A direct participant's cap, its parts, its position and what is left (R-S3)."""
        bank = bank_code(code)

        def work(conn: Connection) -> dict[str, Any]:
            self._direct(conn, bank, lock=False)
            return self._cap_view(conn, bank)
        return self.unit(work)

    def _direct(self, conn: Connection, bank: str, *, lock: bool = True) -> Any:
        self.system(conn)
        rows = systems.banks(conn, self.system_id, [bank], lock=lock)
        if bank not in rows:
            raise ClearingError(Refusal.BANK_UNKNOWN, f"{bank} is no direct participant",
                                bank_code=bank)
        return rows[bank]

    def _cap_view(self, conn: Connection, bank: str) -> dict[str, Any]:
        row = systems.banks(conn, self.system_id, [bank])[bank]
        cap = systems.cap_of(row)
        return {"bank_code": bank, "collateral_fen": cap.collateral_fen,
                "haircut_bps": cap.haircut_bps, "credit_line_fen": cap.credit_line_fen,
                "earmarked_fen": cap.earmarked_fen, "cap_fen": cap.cap_fen,
                "position_fen": row.position_fen,
                "available_cap_fen": available_cap_fen(cap, row.position_fen)}


def _participant(code: object, name: object, role: object,
                 clearing_bank_code: object | None) -> Participant:
    bank = bank_code(code)
    kind = Role(choice(role, "role", (Role.DIRECT.value, Role.INDIRECT.value)))
    through = bank if kind is Role.DIRECT else bank_code(clearing_bank_code,
                                                         "clearing_bank_code")
    return Participant(bank, text(name, "name", max_length=limits.display_name_length_max),
                       kind, through)


def _raise_rejected(result: Result) -> None:
    """A ledger reject met inside a clearing command is answered under its ledger code."""
    if result.reject is not None:
        raise ClearingError(result.reject.value, result.detail or result.reject.value)

"""Exchange-originated projects (R-C8): the original loan contract and disbursement record.

An exchange (交易所) lends to the borrower offline first; the loan becomes a claim, and the
exchange then offers it on the platform as a project. Such a project must carry the original
loan contract (借款合同) and the record of the offline disbursement (放款流水) when it is
registered, and the bank keeps both with the project. They must agree with each other and
with the project: the disbursement paid out the contract's principal, not before it was
signed, to a card bound to the borrower's account, and the project raises no more than was
lent, at the contract's rate and term. One contract and one disbursement back one project of a
platform (unique per platform in ``custody_project_origins``).
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from cunguan.core import fields, limits
from cunguan.core.errors import RuleError
from cunguan.core.money import to_fraction
from cunguan.custody.rules.refusals import Refusal


class OriginError(RuleError):
    """Exchange records that are missing, malformed or do not agree with the project."""


@dataclass(frozen=True, slots=True)
class ExchangeOrigin:
    """The loan contract and its disbursement, as the exchange gives them."""

    contract_no: str
    signed_on: date
    lender_name: str
    principal_fen: int
    annual_rate: str
    months: int
    disbursement_no: str
    disbursed_on: date
    disbursed_fen: int
    payee_account_no: str

    def checked(self) -> "ExchangeOrigin":
        """Each field's form, normalized (``core.fields``); a malformed one is refused."""
        return ExchangeOrigin(
            fields.identifier(self.contract_no, "contract_no",
                              limits.exchange_record_no_length_max),
            fields.day(self.signed_on, "signed_on"),
            fields.text(self.lender_name, "lender_name",
                        max_length=limits.lender_name_length_max),
            fields.amount_fen(self.principal_fen, "principal_fen"),
            fields.rate(self.annual_rate, "annual_rate", maximum="1"),
            fields.whole_number(self.months, "months", minimum=1,
                                maximum=limits.loan_term_months_max),
            fields.identifier(self.disbursement_no, "disbursement_no",
                              limits.exchange_record_no_length_max),
            fields.day(self.disbursed_on, "disbursed_on"),
            fields.amount_fen(self.disbursed_fen, "disbursed_fen"),
            fields.digits(self.payee_account_no, "payee_account_no", min_length=8,
                          max_length=limits.payee_account_digits_max))


def check_origin(origin: ExchangeOrigin, *, amount_fen: int, annual_rate: str,
                 months: int) -> None:
    """The records agree with each other and with the project being registered."""
    if origin.disbursed_fen != origin.principal_fen:
        raise OriginError(Refusal.ORIGIN_MISMATCH, "the disbursement did not pay the contract's "
                          "principal")
    if origin.disbursed_on < origin.signed_on:
        raise OriginError(Refusal.ORIGIN_MISMATCH, "the disbursement predates the contract")
    if amount_fen > origin.principal_fen:
        raise OriginError(Refusal.ORIGIN_MISMATCH, "the project raises more than the contract lent")
    if to_fraction(annual_rate) != to_fraction(origin.annual_rate) or months != origin.months:
        raise OriginError(Refusal.ORIGIN_MISMATCH, "the project's rate or term differs from the "
                          "contract's")


def check_first_use(origin: ExchangeOrigin, *, contract_backs: str | None,
                    disbursement_backs: str | None) -> None:
    """One loan, one project: a contract or a disbursement that already backs a project of the
    platform (``*_backs``: that project's id) backs no other — offered again, or under another
    borrower, the one loan would raise its principal once more."""
    if contract_backs is not None:
        raise OriginError(Refusal.ORIGIN_CONTRACT_USED, f"contract {origin.contract_no} already "
                          f"backs project {contract_backs}")
    if disbursement_backs is not None:
        raise OriginError(Refusal.ORIGIN_DISBURSEMENT_USED,
                          f"disbursement {origin.disbursement_no} "
                          f"already backs project {disbursement_backs}")


def check_payee(origin: ExchangeOrigin, borrower_cards: Collection[str]) -> None:
    """The loan was paid to the project's borrower: the disbursement's payee account is a card
    bound to the borrower's custody account (card nos. compared as kept, digits only)."""
    if origin.payee_account_no not in borrower_cards:
        raise OriginError(Refusal.ORIGIN_PAYEE_NOT_BORROWER, "the disbursement was not paid to a "
                          "card bound to the borrower's account")


def origin_row(tenant_id: str, project_id: str, origin: ExchangeOrigin,
               recorded_at: Any) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "project_id": project_id, "recorded_at": recorded_at,
            **{name: getattr(origin, name) for name in ExchangeOrigin.__slots__}}

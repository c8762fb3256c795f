"""Request and response bodies. Unknown fields are refused (no mass assignment), amounts are
whole fen as JSON integers (a float or a string is refused), ids have bounded lengths.

Every text and date field is a domain type of core/fields.py, checked by the same function
the commands use, so the edge refuses what the service would (NUL and control characters,
Unicode digits, dates outside the bank's years, URLs that are not http(s)) before it reaches
a command or a column; its ``FieldInvalid`` is answered as pydantic's own errors are
(``field_invalid``, with the field's location). The ``Field`` constraints beside them say the
same for the OpenAPI document.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from cunguan.core import fields, limits, signing
from cunguan.custody.rules.schedules import Method


def domain(check: Callable[[Any, str], Any]) -> Callable[[Any], Any]:
    """A pydantic validator calling a core.fields check; its refusal as a pydantic error, so
    it is located (``body.packets.3.user_id``) and answered like any other field's."""
    def validate(value: Any) -> Any:
        try:
            return check(value, "value")
        except fields.FieldInvalid as exc:
            raise PydanticCustomError("field_invalid", str(exc.details["reason"])) from None
    return validate


_ID = r"^[A-Za-z0-9_.:-]+$"     # fields.identifier's characters
RequestNo = Annotated[str, Field(min_length=1, max_length=limits.request_no_length_max,
                                 pattern=_ID, description="The platform's serial no.; the "
                                 "idempotency key"),
                      AfterValidator(domain(lambda v, f: fields.identifier(
                          v, f, limits.request_no_length_max)))]
Id = Annotated[str, Field(min_length=1, max_length=limits.identifier_length_max, pattern=_ID),
               AfterValidator(domain(fields.identifier))]
TenantId = Annotated[str, Field(min_length=1, max_length=limits.tenant_id_length_max,
                                pattern=r"^[A-Za-z0-9_-]+$"),
                     AfterValidator(domain(lambda v, f: fields.identifier(
                         v, f, limits.tenant_id_length_max)))]
Fen = Annotated[int, Field(strict=True, gt=0, le=limits.amount_fen_max,
                           description="Amount in fen (分), a JSON integer")]
FenOrZero = Annotated[int, Field(strict=True, ge=0, le=limits.amount_fen_max)]
Rate = Annotated[str, Field(pattern=r"^0(\.[0-9]{1,6})?$", description="A decimal rate, e.g. "
                            "\"0.08\" for 8 % a year"),
                 AfterValidator(domain(lambda v, f: fields.rate(v, f, maximum="1")))]
CardNo = Annotated[str, BeforeValidator(domain(lambda v, f: fields.digits(
    v, f, min_length=15, max_length=19))), Field(pattern=r"^[0-9]{15,19}$")]
Url = Annotated[str, Field(min_length=1, max_length=limits.url_length_max,
                           pattern=r"^https?://[!-~]+$"),
                AfterValidator(domain(fields.web_url))]
Name = Annotated[str, Field(min_length=1, max_length=limits.display_name_length_max),
                 AfterValidator(domain(lambda v, f: fields.text(
                     v, f, max_length=limits.display_name_length_max)))]
#: A date as JSON text, YYYY-MM-DD, within the bank's years.
Day = Annotated[date, BeforeValidator(domain(fields.iso_day))]
#: A moment with its UTC offset, within the bank's years.
Instant = Annotated[datetime, BeforeValidator(domain(fields.iso_instant))]
Flag = Annotated[bool, Field(strict=True)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Command(Body):
    request_no: RequestNo


# -- answers -------------------------------------------------------------------------------
class CommandOk(BaseModel):
    request_no: str
    status: Literal["ok"]
    data: dict[str, Any]


class View(BaseModel):
    model_config = ConfigDict(extra="allow")


class Listing(BaseModel):
    items: list[dict[str, Any]]


# -- platform commands ---------------------------------------------------------------------
class Settings(Body):
    callback_url: Url | None = None
    return_url_prefix: Url | None = None
    #: R-A1: a card's reserved mobile must match the account's at opening and binding. A
    #: yes/no (true or false only: null, 1 or "yes" would switch a safeguard by accident).
    strict_reserved_phone: StrictBool = False


class CardBind(Command):
    card_no: CardNo


class CardReplace(Command):
    old_card_no: CardNo
    new_card_no: CardNo


class CardMoney(Command):
    """Money between a user's custody account and one of their bound cards."""

    user_id: Id
    card_no: CardNo
    amount_fen: Fen


class Recharge(CardMoney):
    pass


class RedPacket(Command):
    user_id: Id
    amount_fen: Fen


class RedPacketBatch(Body):
    packets: Annotated[list[RedPacket], Field(min_length=1, max_length=5_000)]


class Withdrawal(CardMoney):
    pass


class Project(Command):
    project_id: Id
    borrower_user_id: Id
    guarantor_user_id: Id | None = None
    amount_fen: Fen
    annual_rate: Rate
    months: Annotated[int, Field(strict=True, ge=1, le=120)]
    method: Method
    bid_min_fen: Fen
    bid_max_fen: Fen
    bid_step_fen: Fen
    service_fee_rate: Rate = "0"
    newbie_only: Flag = False
    risk_level: Annotated[int, Field(strict=True, ge=1, le=5)] = 1
    raise_days: Annotated[int, Field(strict=True, ge=1, le=90)] = 7


class ExchangeRecords(Body):
    """R-C8: the exchange's original loan contract and its offline disbursement record."""

    contract_no: Id
    signed_on: Day
    lender_name: Name
    principal_fen: Fen
    annual_rate: Rate
    months: Annotated[int, Field(strict=True, ge=1, le=120)]
    disbursement_no: Id
    disbursed_on: Day
    disbursed_fen: Fen
    payee_account_no: Annotated[str, Field(pattern=r"^[0-9]{8,32}$",
                                           description="The account the loan was paid to: "
                                           "a card bound to the borrower")]


class ExchangeProject(Project):
    """A project an exchange originated (R-C8), registered with its records."""

    origin: ExchangeRecords


class Bid(Command):
    user_id: Id
    project_id: Id
    amount_fen: Fen
    red_packet_fen: FenOrZero = 0
    coupon_rate: Rate = "0"


class Compensation(Command):
    payer: Literal["guarantor"] = "guarantor"


class OperatorCompensation(Command):
    payer: Literal["guarantor", "risk_reserve"]


class ClaimListing(Command):
    seller_user_id: Id
    price_fen: Fen
    fee_rate: Rate = "0.005"


class ClaimPurchase(Command):
    buyer_user_id: Id


class Plan(Command):
    plan_id: Id
    name: Name
    annual_rate: Rate
    term_days: Annotated[int, Field(strict=True, ge=1, le=3650)]


class PlanPurchase(Command):
    user_id: Id
    amount_fen: Fen


class PlanMatch(Command):
    project_id: Id
    amount_fen: Fen


class Batch(Body):
    batch_no: RequestNo
    kind: Literal["lend", "repay"]
    project_ids: Annotated[list[Id], Field(min_length=1, max_length=5_000)]


# -- hosted pages --------------------------------------------------------------------------
class OpenAccountPage(Command):
    action: Literal["open_account"]
    return_url: Url
    user_id: Id
    role: Literal["lender", "borrower", "guarantor"]
    kind: Literal["person", "company"] = "person"


class RechargePage(CardMoney):
    action: Literal["recharge"]
    return_url: Url


class WithdrawPage(CardMoney):
    action: Literal["withdraw"]
    return_url: Url


class BidPage(Bid):
    action: Literal["bid"]
    return_url: Url


class RepayPage(Command):
    action: Literal["repay"]
    return_url: Url
    project_id: Id


class AuthorizePage(Command):
    action: Literal["authorize"]
    return_url: Url
    user_id: Id
    kinds: Annotated[list[Literal["recharge", "bid", "repay", "withdraw"]],
                     Field(min_length=1, max_length=4)]
    max_amount_fen: Fen
    expires_at: Instant


class PasswordPage(Command):
    """A forgotten password (reset_password) or a migrated user's first one (activate)."""

    action: Literal["reset_password", "activate"]
    return_url: Url
    user_id: Id


PageRequest = Annotated[OpenAccountPage | RechargePage | WithdrawPage | BidPage | RepayPage
                        | AuthorizePage | PasswordPage, Field(discriminator="action")]


class PageCreated(BaseModel):
    page_url: str
    expires_at: str


# -- operator commands ---------------------------------------------------------------------
class Onboarding(Body):
    tenant_id: TenantId
    name: Name
    accounting_date: Day
    callback_url: Url | None = None
    return_url_prefix: Url | None = None


class KeyRequest(Body):
    sm2_public_key: Annotated[str, Field(pattern=r"^(04)?[0-9a-fA-F]{128}$", description=(
        "x then y in hex, optionally after 04: a point of the SM2 curve")),
        AfterValidator(domain(signing.sm2_public_key))] | None = None


class IssuedKey(BaseModel):
    key_id: str
    secret: str
    tenant_id: str | None


class Funding(Command):
    account: Literal["own", "marketing", "risk_reserve", "interest"]
    amount_fen: Fen


class Approval(Command):
    pass


class Review(Command):
    approved: Flag


class ChannelResult(Command):
    succeeded: Flag


class ChannelSettlement(Command):
    settle_on: Day


class OfflineTransfer(Command):
    payer_card_no: CardNo
    amount_fen: Fen


class MigrationFunding(Command):
    """A platform's funding transfer for a migration, seen arriving at the bank (R-C20)."""

    amount_fen: Fen
    #: where it came from, as the statement shows it (checked by the migration's field types)
    payer_account_no: str | None = None
    reference: str | None = None


class MigrationRejection(Command):
    reason: str = Field(min_length=1, max_length=limits.reason_length_max)

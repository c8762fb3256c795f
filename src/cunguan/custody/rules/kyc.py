"""Opening checks (R-C4, R-A1): the four elements, age, documents that need a person's review."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from cunguan.core import fields, limits
from cunguan.core.errors import RuleError
from cunguan.custody.rules.refusals import Refusal

ADULT_AGE_YEARS = 18
MOBILE_DIGITS = 11


class IdKind(StrEnum):
    RESIDENT_ID = "resident_id"      # 居民身份证
    PASSPORT = "passport"            # 护照
    HK_MACAU_PERMIT = "hk_macau"     # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan"         # 台湾居民来往大陆通行证
    BUSINESS_LICENCE = "business"    # 统一社会信用代码 (company)


class KycError(RuleError):
    """An identity that fails the opening checks."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A checked identity: what the opening may go on with."""

    name: str
    id_kind: IdKind
    id_no: str
    mobile: str
    birth_date: date | None
    needs_review: bool


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def normalize_name(name: object) -> str:
    """A holder's name as stored: stripped, NFC, no control characters (``fields.text``)."""
    try:
        return fields.text(name, "name", max_length=limits.holder_name_length_max)
    except fields.FieldInvalid as exc:
        raise KycError(Refusal.NAME_INVALID,
                       f"a name is 1 to {limits.holder_name_length_max} characters "
                       "without control characters") from exc


def normalize_mobile(mobile: object) -> str:
    """A mainland mobile no. as stored and compared: 11 ASCII digits starting 13-19, white
    space and separators removed ("138 0013 8000\\n" is 13800138000; "１３８…" is refused)."""
    try:
        cleaned = fields.digits(mobile, "mobile", min_length=MOBILE_DIGITS,
                                max_length=MOBILE_DIGITS)
    except fields.FieldInvalid as exc:
        raise KycError(Refusal.MOBILE_INVALID, "a mainland mobile no. is 11 ASCII digits") from exc
    if cleaned[0] != "1" or cleaned[1] not in "3456789":
        raise KycError(Refusal.MOBILE_INVALID, "a mainland mobile no. is 11 digits starting 13–19")
    return cleaned


def normalize_contact_phone(phone: object) -> str:
    """A company's contact phone (it may be a landline): 5 to 16 ASCII digits once white
    space and separators are removed."""
    try:
        return fields.digits(phone, "mobile", min_length=5, max_length=16)
    except fields.FieldInvalid as exc:
        raise KycError(Refusal.MOBILE_INVALID, "a contact phone is 5 to 16 ASCII digits") from exc


def normalize_id_no(id_no: object) -> str:
    """A document no. as stored and compared: all white space removed, ASCII letters and
    digits only, letters upper-case (a resident ID's check character x is X)."""
    if not isinstance(id_no, str):
        raise KycError(Refusal.ID_NO_INVALID, "a document no. is text")
    cleaned = "".join(id_no.split()).upper()
    if not 0 < len(cleaned) <= limits.id_no_length_max or not cleaned.isascii() \
            or not cleaned.isalnum():
        raise KycError(Refusal.ID_NO_INVALID,
                       f"a document no. is 1 to {limits.id_no_length_max} ASCII letters and digits")
    return cleaned


def check_mobile_match(mobile: str, reserved_mobile: str | None) -> None:
    """R-A1: where strict matching is set, the mobile must be the one reserved at the card's
    bank; an unknown reserved mobile cannot be matched, so it is refused too."""
    if reserved_mobile is None:
        raise KycError(Refusal.RESERVED_MOBILE_UNKNOWN,
                       "strict matching is set and the card's reserved mobile is not known")
    if normalize_mobile(mobile) != normalize_mobile(reserved_mobile):
        raise KycError(Refusal.MOBILE_MISMATCH,
                       "the mobile no. differs from the one the bank holds")


def check_identity(name: str, id_kind: IdKind, id_no: str, mobile: str, *,
                   on: date, reserved_mobile: str | None = None,
                   strict_mobile_match: bool = False) -> Identity:
    """Check name, document, age ≥ 18 on ``on`` and mobile; passports and permits need review.
    The identity comes back normalized (``normalize_*``): what is stored and compared.

    ``strict_mobile_match`` (R-A1, type II/III accounts): the mobile must equal the one the card's
    bank has on file (``reserved_mobile``).
    """
    name = normalize_name(name)
    mobile = normalize_mobile(mobile)
    if strict_mobile_match:
        check_mobile_match(mobile, reserved_mobile)
    id_no = normalize_id_no(id_no)
    if id_kind is not IdKind.RESIDENT_ID:
        return Identity(name, id_kind, id_no, mobile, None, needs_review=True)
    try:
        compact = ric.validate(id_no)
    except ValidationError as exc:
        raise KycError(Refusal.ID_NO_INVALID,
                       "the resident ID no. is not valid (GB 11643)") from exc
    birth = ric.get_birth_date(compact)
    if age_on(birth, on) < ADULT_AGE_YEARS:
        raise KycError(Refusal.UNDER_AGE, f"account holders must be {ADULT_AGE_YEARS} or older")
    return Identity(name, id_kind, compact, mobile, birth, needs_review=False)

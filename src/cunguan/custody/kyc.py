"""Opening checks (R-C4, R-A1): the four elements, age, documents that need a person's review."""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from cunguan.core.errors import RuleError

ADULT_AGE_YEARS = 18
NAME_LENGTH_MAX = 64
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


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


def check_identity(name: str, id_kind: IdKind, id_no: str, mobile: str, *,
                   on: date, reserved_mobile: str | None = None,
                   strict_mobile_match: bool = False) -> Identity:
    """Check name, document, age ≥ 18 on ``on`` and mobile; passports and permits need review.

    ``strict_mobile_match`` (R-A1, type II/III accounts): the mobile must equal the one the card's
    bank has on file (``reserved_mobile``).
    """
    name = name.strip()
    if not name or len(name) > NAME_LENGTH_MAX:
        raise KycError("name_invalid", f"a name is 1 to {NAME_LENGTH_MAX} characters")
    if not _MOBILE.match(mobile):
        raise KycError("mobile_invalid", "a mainland mobile no. is 11 digits starting 13–19")
    if strict_mobile_match and mobile != reserved_mobile:
        raise KycError("mobile_mismatch", "the mobile no. differs from the one the bank holds")
    if id_kind is not IdKind.RESIDENT_ID:
        return Identity(name, id_kind, id_no.strip().upper(), mobile, None, needs_review=True)
    try:
        compact = ric.validate(id_no)
    except ValidationError as exc:
        raise KycError("id_no_invalid", "the resident ID no. is not valid (GB 11643)") from exc
    birth = ric.get_birth_date(compact)
    if age_on(birth, on) < ADULT_AGE_YEARS:
        raise KycError("under_age", f"account holders must be {ADULT_AGE_YEARS} or older")
    return Identity(name, id_kind, compact, mobile, birth, needs_review=False)

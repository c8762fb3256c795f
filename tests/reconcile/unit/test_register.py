"""The register's record (R-B1) refuses hostile fields by name, whoever calls: Unicode digits,
NUL, bools, floats, over-long text, mirrors without a tenant."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cunguan.core.fields import FieldInvalid
from cunguan.reconcile.rules import register
from tests.hostile import arabic_indic, full_width

GOOD: dict[str, Any] = {"account_no": "0200001234567890123", "bank_name": "ICBC",
                        "kind": "custody"}


def _account(**changed: Any) -> register.BankAccount:
    given_ = {**GOOD, **changed}
    return register.bank_account(given_.pop("account_no"), given_.pop("bank_name"),
                                 given_.pop("kind"), **given_)


def test_r_b1_a_good_account_is_taken_as_given() -> None:
    account = _account(tenant_id="P1", mirrors=["SUMMARY"])
    assert (account.kind, account.currency, account.mirrors) == (
        register.AccountKind.CUSTODY, "CNY", ("SUMMARY",))
    assert register.RESERVE_ROLES[account.kind] is not None


@pytest.mark.parametrize(("field", "value"), [
    ("account_no", full_width("0200001234")), ("account_no", arabic_indic("0200001234")),
    ("account_no", "0200\x00001"), ("account_no", "x" * 35), ("account_no", 200001234),
    ("account_no", True), ("account_no", ""), ("bank_name", "IC\x00BC"), ("bank_name", ""),
    ("bank_name", "b" * 65), ("kind", "vault"), ("kind", None), ("currency_code", "cny"),
    ("currency_code", "ＣＮＹ"), ("currency_code", "CNYY"), ("tenant_id", "P 1"),
    ("mirrors", ["SUMMARY"]), ("mirrors", "SUMMARY"),
])
def test_r_b1_hostile_fields_are_refused_by_name(field: str, value: object) -> None:
    with pytest.raises(FieldInvalid) as refused:
        _account(**{field: value})
    assert refused.value.code == "field_invalid"


def test_r_b1_a_mirror_named_twice_is_refused() -> None:
    with pytest.raises(FieldInvalid):
        _account(tenant_id="P1", mirrors=["SUMMARY", "SUMMARY"])


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.binary(),
                 st.text(max_size=40)))
def test_r_b1_any_operator_name_is_text_or_refused(value: object) -> None:
    try:
        name = register.operator(value)
    except FieldInvalid:
        return
    assert isinstance(name, str) and 0 < len(name) <= register.OPERATOR_LENGTH_MAX
    assert "\x00" not in name

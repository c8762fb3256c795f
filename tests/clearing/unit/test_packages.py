"""R-S1 and R-S2: a package is checked whole at intake; one bad item refuses it with a name."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.clearing.rules.packages import Item, Package, check_package
from cunguan.clearing.rules.parameters import BusinessType, ClearingParameters
from cunguan.clearing.rules.participants import Participant, Role, Status, bank_code
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.core.fields import FieldInvalid

DAY = date(2026, 12, 7)
ICBC, CCB, ABC_BRANCH, NPC = "102100099996", "105100000017", "103100000026", "000000000001"
REGISTER = {
    ICBC: Participant(ICBC, "ICBC", Role.DIRECT, ICBC),
    CCB: Participant(CCB, "CCB", Role.DIRECT, CCB),
    ABC_BRANCH: Participant(ABC_BRANCH, "a county bank", Role.INDIRECT, ICBC),
    NPC: Participant(NPC, "NPC", Role.NPC, NPC),
}
PARAMS = ClearingParameters()


def item(no: int, amount_fen: int = 10_000, *, debtor: str = ICBC, creditor: str = CCB,
         term: int = 0) -> Item:
    return Item(no, f"E2E{no}", debtor, f"62220{no}", "张三", creditor, f"62170{no}", "李四",
                amount_fen, term)


def package(items: list[Item], kind: BusinessType = BusinessType.ORDINARY_CREDIT, *,
            sender: str = ICBC, receiver: str = CCB) -> Package:
    return Package("M1", kind, sender, receiver, DAY, len(items),
                   sum(i.amount_fen for i in items), tuple(items))


def refusal(pkg: Package) -> str:
    with pytest.raises(ClearingError) as caught:
        check_package(pkg, REGISTER, work_date=DAY, params=PARAMS)
    return caught.value.code


def test_r_s2_an_ordinary_credit_package_nets_from_debtor_to_creditor_clearing_bank() -> None:
    accepted = check_package(package([item(1), item(2, 5_000, debtor=ABC_BRANCH)]), REGISTER,
                             work_date=DAY, params=PARAMS)
    assert [(f.payer_bank, f.payee_bank, f.amount_fen) for f in accepted.flows] == [
        (ICBC, CCB, 10_000), (ICBC, CCB, 5_000)]     # the county bank clears through ICBC
    assert accepted.sum_fen == 15_000


def test_r_s2_a_debit_package_is_sent_by_the_creditors_bank_and_money_flows_to_it() -> None:
    items = [item(1, debtor=CCB, creditor=ICBC, term=3), item(2, debtor=CCB, creditor=ICBC,
                                                             term=3)]
    accepted = check_package(package(items, BusinessType.PERIODIC_DEBIT), REGISTER,
                             work_date=DAY, params=PARAMS)
    assert {(f.payer_bank, f.payee_bank) for f in accepted.flows} == {(CCB, ICBC)}


def test_r_s1_a_credit_above_fifty_thousand_yuan_is_not_small_value_business() -> None:
    assert refusal(package([item(1, 5_000_001)])) == Refusal.CREDIT_OVER_CEILING
    check_package(package([item(1, 5_000_000)]), REGISTER, work_date=DAY, params=PARAMS)


def test_r_s1_unknown_closed_and_system_banks_are_refused() -> None:
    assert refusal(package([item(1)], receiver="999999999999")) == Refusal.BANK_UNKNOWN
    assert refusal(package([item(1)], receiver=NPC)) == Refusal.BANK_UNKNOWN
    closed = {**REGISTER, CCB: replace(REGISTER[CCB], status=Status.CLOSED)}
    with pytest.raises(ClearingError) as caught:
        check_package(package([item(1)]), closed, work_date=DAY, params=PARAMS)
    assert caught.value.code == Refusal.BANK_CLOSED


def test_r_s2_control_totals_must_match_the_items() -> None:
    good = package([item(1), item(2)])
    assert refusal(replace(good, control_count=3)) == Refusal.CONTROL_TOTALS_MISMATCH
    assert refusal(replace(good, control_sum_fen=19_999)) == Refusal.CONTROL_TOTALS_MISMATCH


def test_r_s2_packaging_rules() -> None:
    rt = BusinessType.REALTIME_CREDIT
    assert refusal(package([item(1), item(2)], rt)) == Refusal.PACKAGE_REALTIME_NOT_SINGLE
    assert refusal(package([])) == Refusal.PACKAGE_EMPTY
    assert refusal(package([item(1), item(2, creditor=ICBC)])) == Refusal.PACKAGE_MIXED_RECEIVERS
    debits = [item(1, debtor=CCB, creditor=ICBC, term=1), item(2, debtor=CCB, creditor=ICBC,
                                                             term=2)]
    assert refusal(package(debits, BusinessType.ORDINARY_DEBIT, sender=ICBC, receiver=CCB)
                   ) == Refusal.PACKAGE_MIXED_DEBIT_TERMS
    assert refusal(package([item(1, term=1)])) == Refusal.DEBIT_TERM_INVALID
    assert refusal(package([item(1, debtor=CCB)])) == Refusal.ITEM_NOT_SENDERS
    twin = [item(1), replace(item(2), end_to_end_id="E2E1")]
    assert refusal(package(twin)) == Refusal.DUPLICATE_ITEM


def test_r_s9_a_package_for_another_working_day_is_refused() -> None:
    assert refusal(replace(package([item(1)]), work_date=date(2026, 12, 8))
                   ) == Refusal.WRONG_WORK_DATE


def test_r_s1_information_moves_no_money() -> None:
    info = package([item(1, 0)], BusinessType.INFORMATION)
    assert check_package(info, REGISTER, work_date=DAY, params=PARAMS).flows == ()
    assert refusal(package([item(1, 1)], BusinessType.INFORMATION)
                   ) == Refusal.BUSINESS_TYPE_INVALID


@pytest.mark.parametrize("value", ["10210009999６", "1021000999", 102100099996, None, True,
                                   "10210009999\x00", "1021000999961"])
def test_r_s1_a_bank_code_is_exactly_twelve_ascii_digits(value: object) -> None:
    with pytest.raises(FieldInvalid):
        bank_code(value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 5_000_000), min_size=1, max_size=30))
def test_r_s2_an_accepted_package_keeps_its_sum_in_its_flows(amounts: list[int]) -> None:
    accepted = check_package(package([item(i + 1, a) for i, a in enumerate(amounts)]),
                             REGISTER, work_date=DAY, params=PARAMS)
    assert accepted.sum_fen == sum(amounts) == accepted.package.control_sum_fen
    assert len({f.item_id for f in accepted.flows}) == len(amounts)


def test_r_s2_a_packages_digest_is_the_sha256_of_its_asdict_json() -> None:
    """Replays compare digests stored earlier: the fast digest must stay the same value."""
    import hashlib
    import json
    from dataclasses import asdict

    from cunguan.clearing.handlers.packages import digest
    items = tuple(Item(n, f"E{n}", "102100099996", f"6222{n:06d}", "张三", "105100000017",
                       f"6217{n:06d}", "李四", 100 * n, 0) for n in range(1, 4))
    package = Package("M1", BusinessType.ORDINARY_CREDIT, "102100099996", "105100000017",
                      date(2026, 12, 7), 3, 600, items)
    expected = hashlib.sha256(json.dumps(asdict(package), sort_keys=True, default=str)
                              .encode()).hexdigest()
    assert digest(package) == expected

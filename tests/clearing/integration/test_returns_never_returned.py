"""R-S7: a return is never returned again, by either bank, and its id fits its column (a
fresh-eyes review, 2026-12-07)."""

from datetime import datetime

from sqlalchemy import Engine

from cunguan.clearing.rules.exceptions import ItemState
from cunguan.clearing.rules.packages import item_id, return_id
from cunguan.clearing.rules.participant_bank import SUSPENSE_ACCOUNT, bank_tenant
from cunguan.clearing.rules.refusals import Refusal as ClearingRefusal
from cunguan.core import limits
from cunguan.core.clock import CST
from cunguan.ledger.model import AccountStatus
from cunguan.reconcile.rules.statements import Direction
from tests.clearing.integration.helpers import CCB, ICBC
from tests.clearing.integration.test_participant_bank import account, banks, code, send

IN = Direction.CREDIT
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
TEXT = b"SM2-SM3\nPOST\n/v1/x\n1795399200\n5f2b9c1e8a7d4c3b\n00"
#: Private key 3's public key begins "a9": gmssl's old lstrip("04") left it whole, so a row
#: holding it after the uncompressed point's 04 verified before these commits.
PRIVATE_3 = f"{3:064x}"
#: Private key 11's public key itself begins "04".
PRIVATE_11 = f"{11:064x}"



def test_r_s7_the_longest_items_return_id_fits_the_column() -> None:
    longest = item_id("9" * limits.clearing_bank_code_digits,
                      "M" * limits.clearing_message_id_length_max,
                      limits.clearing_items_per_package_max)
    assert len(return_id(longest)) <= limits.clearing_item_id_length_max
    assert return_id(longest) == longest + ":R"


def test_r_s7_a_suspended_return_is_refused_a_return_by_either_bank_and_moves_nothing(
        engine: Engine) -> None:
    service = banks(engine)
    service.ledger.set_account_status(bank_tenant(CCB), "D1", AccountStatus.FROZEN)
    send(service, "S1", 10_000)
    service.send_outward(ICBC)
    [original] = service.take_inward(CCB)["returned"]
    service.ledger.set_account_status(bank_tenant(ICBC), "C1", AccountStatus.FROZEN)
    assert service.take_inward(ICBC)["suspended"] == [return_id(original)]
    for bank in (ICBC, CCB):
        assert code(lambda b=bank: service.return_item(return_id(original), b)) == \
            ClearingRefusal.RETURN_NOT_RETURNABLE
        assert code(lambda b=bank: service.return_item(original, b)) == \
            ClearingRefusal.ITEM_STATE_INVALID              # returned once already
    assert service.item_state(original) == ItemState.RETURNED.value
    assert account(service, ICBC, SUSPENSE_ACCOUNT)[0] == 10_000
    assert service.take_inward(ICBC) == {"credited": [], "returned": [], "suspended": []}

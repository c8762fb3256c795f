"""R-S7: a return's id fits its column, since a return is never returned again
(tests/clearing/integration/test_participant_bank.py shows it is not)."""



from cunguan.clearing.rules.packages import item_id, return_id
from cunguan.core import limits
from cunguan.reconcile.rules.statements import Direction

IN = Direction.CREDIT


def test_r_s7_the_longest_items_return_id_fits_the_column() -> None:
    longest = item_id("9" * limits.clearing_bank_code_digits,
                      "M" * limits.clearing_message_id_length_max,
                      limits.clearing_items_per_package_max)
    assert len(return_id(longest)) <= limits.clearing_item_id_length_max
    assert return_id(longest) == longest + ":R"

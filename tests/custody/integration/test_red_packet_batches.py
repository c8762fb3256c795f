"""Set-based red packets (R-C18, R-L5, R-C21): a campaign's packets in one DB transaction, each
answering exactly as a single red packet would — refused alone, replayed, one event each."""

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from cunguan.custody.rules import accounts as chart
from cunguan.db.outbox import outbox_events
from tests.custody_helpers import PLATFORM, open_user, services


def _events(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(outbox_events.c.request_no, func.count()).group_by(
            outbox_events.c.request_no)).all())


def test_r_c18_a_campaign_pays_each_packet_or_refuses_it_alone(engine: Engine) -> None:
    custody, ledger, _, _ = services(engine)
    users = [open_user(custody, n) for n in range(1, 4)]
    marketing = ledger.account(PLATFORM, chart.MARKETING).balance_fen
    answers = custody.red_packets(PLATFORM, [
        ("c-1", users[0], 100), ("c-2", "nobody", 100), ("c-3", users[1], marketing),
        ("c-4", users[2], 300), ("c-1", users[0], 100), ("c-4", users[2], 999), ("", users[0], 1)])
    assert [(a.code, a.replayed) for a in answers] == [
        ("ok", False), ("user_not_found", False), ("exceeds_available", False), ("ok", False),
        ("ok", True), ("duplicate_with_different_content", False), ("field_invalid", False)]
    assert answers[4].data == answers[0].data
    assert [ledger.account(PLATFORM, f"U-{u}").balance_fen for u in users] == [100, 0, 300]
    events = _events(engine)
    assert all(events[no] == 1 for no in ("c-1", "c-2", "c-3", "c-4"))
    single = custody.red_packet(PLATFORM, "c-4", users[2], 300)     # the single path agrees
    assert single.replayed and single.data == answers[3].data
    assert custody.red_packet(PLATFORM, "c-2", "nobody", 100).code == "user_not_found"


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from([0, 1, 2, 3]),
                          st.integers(1, 10_000)), min_size=1, max_size=25))
def test_r_l5_set_based_and_single_red_packets_agree(batch: list) -> None:
    """The same packets sent as one campaign or one at a time end the same: same answers
    (codes and replays), same balances."""
    from tests.conftest import fresh_engine

    outcomes = []
    for mode in ("many", "single"):
        with fresh_engine("sqlite", label=mode) as engine:
            custody, ledger, _, _ = services(engine)
            users = [open_user(custody, n) for n in range(1, 4)] + ["ghost"]
            packets = [(f"p-{no}", users[who], amount) for no, who, amount in batch]
            if mode == "many":
                answers = custody.red_packets(PLATFORM, packets)
            else:
                answers = [custody.red_packet(PLATFORM, *packet) for packet in packets]
            outcomes.append(([(a.code, a.replayed) for a in answers],
                             [ledger.account(PLATFORM, f"U-{u}").balance_fen
                              for u in users[:3]]))
    assert outcomes[0] == outcomes[1]

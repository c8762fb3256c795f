"""BEPS over the signed API on SQLite and PostgreSQL: participant keys, a bank sees only its
own items and position, the NPC's operators set caps and run sessions (R-S1 … R-S6)."""

from datetime import date, timedelta

from sqlalchemy import Engine

from cunguan.client import CunguanClient
from tests.api_helpers import Api, api_for
from tests.clearing.integration.helpers import BOC, CCB, ICBC, credit

DAY = date(2026, 11, 23)


def _bank_client(api: Api, code: str) -> CunguanClient:
    registered = api.operator.post("/v1/operator/clearing/participants",
                                   {"bank_code": code, "name": code, "role": "direct"})
    assert registered.status == 200, registered.body
    issued = api.operator.post(f"/v1/operator/clearing/participants/{code}/keys", {})
    assert issued.status == 200 and issued.body["key_id"].startswith("bk_"), issued.body
    return api.client(issued.body["key_id"], issued.body["secret"])


def _package(message_id: str, payer: str, payee: str, *amounts: int,
             kind: str = "ordinary_credit") -> dict[str, object]:
    package = credit(message_id, payer, payee, *amounts, kind=kind)
    package["work_date"] = DAY.isoformat()
    return package


def test_r_s1_r_s4_participants_send_packages_and_see_only_their_own(engine: Engine) -> None:
    with api_for(engine) as api:
        api.bank.clearing.create_system(DAY)
        icbc, ccb, boc = (_bank_client(api, code) for code in (ICBC, CCB, BOC))
        capped = api.operator.put(f"/v1/operator/clearing/participants/{ICBC}/cap", {
            "collateral_fen": 0, "haircut_bps": 0, "credit_line_fen": 100_000})
        assert capped.status == 200 and capped.body["data"]["cap_fen"] == 100_000
        sent = icbc.post("/v1/clearing/packages", _package("M1", ICBC, CCB, 30_000, 20_000))
        assert sent.status == 200, sent.body
        assert set(sent.body["data"]["items"].values()) == {"netted"}
        again = icbc.post("/v1/clearing/packages", _package("M1", ICBC, CCB, 30_000, 20_000))
        assert again.status == 200 and again.replayed
        # a bank may not send another bank's package
        forged = boc.post("/v1/clearing/packages", _package("M2", ICBC, CCB, 1_000))
        assert forged.status == 422 and forged.body["code"] == "not_entitled"
        item_id = next(iter(sent.body["data"]["items"]))
        assert ccb.get(f"/v1/clearing/items/{item_id}").body["data"]["state"] == "netted"
        assert boc.get(f"/v1/clearing/items/{item_id}").status == 404
        mine = icbc.get("/v1/clearing/position").body["data"]
        assert mine["position_fen"] == -50_000 and mine["available_cap_fen"] == 50_000
        # a platform or operator key is not a participant's
        assert api.operator.get("/v1/clearing/position").status == 403


def test_r_s4_r_s5_r_s6_real_time_answers_events_sessions_and_settlement(
        engine: Engine) -> None:
    with api_for(engine) as api:
        api.bank.clearing.create_system(DAY)
        icbc, ccb = (_bank_client(api, code) for code in (ICBC, CCB))
        api.operator.put(f"/v1/operator/clearing/participants/{ICBC}/cap", {
            "collateral_fen": 0, "haircut_bps": 0, "credit_line_fen": 10_000})
        over = icbc.post("/v1/clearing/packages",
                         _package("RT1", ICBC, CCB, 10_001, kind="realtime_credit"))
        assert over.status == 422 and over.body["code"] == "cap_exceeded"
        rt = icbc.post("/v1/clearing/packages",
                       _package("RT2", ICBC, CCB, 9_000, kind="realtime_credit"))
        [item_id] = rt.body["data"]["items"]
        assert rt.body["data"]["items"][item_id] == "awaiting_receipt"
        wrong = icbc.post("/v1/clearing/answers", {"item_ids": [item_id], "paid": True})
        assert wrong.body["code"] == "not_entitled"
        paid = ccb.post("/v1/clearing/answers", {"item_ids": [item_id], "paid": True})
        assert paid.body["data"] == {item_id: "netted"}
        seen = icbc.get("/v1/clearing/events").body["data"]
        assert [e["kind"] for e in seen] == ["cap_warning", "cap_warning", "receipt"]
        assert [e["details"].get("used_pct") for e in seen[:2]] == [80, 90]
        assert seen[2]["details"]["paid"] is True
        funded = api.operator.post(f"/v1/operator/clearing/participants/{ICBC}/fundings",
                                   {"request_no": "F1", "amount_fen": 9_000})
        assert funded.status == 200, funded.body
        api.clock.advance(timedelta(hours=1))   # past the 10:00 session
        closed = api.operator.post("/v1/operator/clearing/sessions/close", {})
        assert [s["net_debits_fen"] for s in closed.body["data"]] == [9_000]
        settled = api.operator.post("/v1/operator/clearing/settlement", {})
        assert settled.body["data"][0]["settled"] is True
        kinds = [e["kind"] for e in ccb.get("/v1/clearing/events").body["data"]]
        assert kinds == ["session_submitted", "session_settled"]
        cursor = icbc.get("/v1/clearing/events").body["data"][-1]["event_id"]
        assert icbc.get("/v1/clearing/events", {"after": cursor}).body["data"] == []


def test_r_s2_hostile_bodies_are_refused_by_name(engine: Engine) -> None:
    with api_for(engine) as api:
        api.bank.clearing.create_system(DAY)
        icbc = _bank_client(api, ICBC)
        for body in ([], {"message_id": "M"}, _package("M\x00", ICBC, CCB, 1),
                     {**_package("M3", ICBC, CCB, 1), "control_sum_fen": 2**64}):
            answer = icbc.post("/v1/clearing/packages", body)  # type: ignore[arg-type]
            assert answer.status in (400, 422) and answer.body["code"] in (
                "field_invalid", "body_invalid"), answer.body
        bad_amount = _package("M4", ICBC, CCB, 1)
        bad_amount["items"][0]["amount_fen"] = 1.5  # type: ignore[index]
        assert icbc.post("/v1/clearing/packages", bad_amount).body["code"] == "field_invalid"

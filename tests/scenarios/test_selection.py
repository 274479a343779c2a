"""Which scenario a task gets: header, then prompt tag, then API key, then the server default; bound for life."""

from __future__ import annotations

from tests.support import AUTH, ContractClient, fetch, make_client, run_to_end

SUBMIT = "/crazyrouter/jimeng/submit/videos"
BODY = {"model": "jimeng-video-3.0", "prompt": "a cat"}


def scenario_of(client: ContractClient, task_id: str) -> str:
    scenario: str = client.get(f"/__admin/tasks/{task_id}").json()["scenario"]
    return scenario


def test_prompt_tag_selects_and_is_removed(client: ContractClient) -> None:
    body = {**BODY, "prompt": "a cat [[mock:moderation_fail]] yawning"}
    task_id = client.post(SUBMIT, json=body, headers=AUTH).json()["id"]
    task = client.get(f"/__admin/tasks/{task_id}").json()
    assert task["scenario"] == "moderation_fail"
    assert task["request"]["prompt"] == "a cat yawning"
    assert run_to_end(client, task_id)[-1] == "failed"


def test_a_tag_alone_leaves_no_prompt(client: ContractClient) -> None:
    response = client.post(SUBMIT, json={**BODY, "prompt": "[[mock:instant]]"}, headers=AUTH)
    assert response.status_code == 400
    assert "prompt is required for text-to-video" in response.json()["message"]


def test_header_wins_over_the_tag(client: ContractClient) -> None:
    body = {**BODY, "prompt": "a cat [[mock:moderation_fail]]"}
    task_id = client.post(SUBMIT, json=body, headers={**AUTH, "X-Mock-Scenario": "instant"}).json()["id"]
    assert scenario_of(client, task_id) == "instant"


def test_api_key_mapping_and_server_default() -> None:
    with make_client(scenario="stuck_queue", scenario_keys={"sk-doomed": "credits_exhausted"}) as client:
        refused = client.post(SUBMIT, json=BODY, headers={"Authorization": "Bearer sk-doomed"})
        assert refused.status_code == 403
        task_id = client.post(SUBMIT, json=BODY, headers=AUTH).json()["id"]
        assert scenario_of(client, task_id) == "stuck_queue"
        tagged = client.post(
            SUBMIT, json={**BODY, "prompt": "x [[mock:instant]]"}, headers={"Authorization": "Bearer sk-doomed"}
        )
        assert scenario_of(client, tagged.json()["id"]) == "instant"


def test_unknown_scenario_is_a_400_in_the_gateways_shape(client: ContractClient) -> None:
    response = client.post(SUBMIT, json=BODY, headers={**AUTH, "X-Mock-Scenario": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_request" and "unknown mock scenario 'nope'" in body["message"]
    tagged = client.post(SUBMIT, json={**BODY, "prompt": "[[mock:nope]] cat"}, headers=AUTH)
    assert tagged.status_code == 400


def test_the_scenario_is_bound_at_submit(client: ContractClient) -> None:
    task_id = client.post(SUBMIT, json=BODY, headers={**AUTH, "X-Mock-Scenario": "moderation_fail"}).json()["id"]
    client.runtime.scenarios.use("instant")
    client.runtime.clock.advance(3600)
    assert fetch(client, task_id)["status"] == "failed"
    later = client.post(SUBMIT, json=BODY, headers=AUTH).json()["id"]
    assert scenario_of(client, later) == "instant"


def test_reset_restores_the_default_scenario(client: ContractClient) -> None:
    client.runtime.scenarios.use("instant")
    client.post("/__admin/reset", json={})
    task_id = client.post(SUBMIT, json=BODY, headers=AUTH).json()["id"]
    assert scenario_of(client, task_id) == "default"


def test_unknown_default_in_settings_is_refused() -> None:
    import pytest

    from mockserver.server.settings import SettingsError

    with pytest.raises(SettingsError, match="unknown mock scenario 'nope'"):
        make_client(scenario="nope")


def test_admin_lists_uses_and_adds_scenarios(client: ContractClient) -> None:
    listing = client.get("/__admin/scenarios").json()
    assert listing["default"] == "default"
    assert {"moderation_fail", "cdn_lag", "default"} <= {s["name"] for s in listing["scenarios"]}
    assert client.get("/__admin/scenarios/cdn_lag").json()["source"].endswith("scenarios/builtin/cdn_lag.yaml")
    assert client.get("/__admin/scenarios/nope").status_code == 404

    assert client.post("/__admin/scenarios/default", json={"name": "instant"}).json() == {"default": "instant"}
    task_id = client.post(SUBMIT, json=BODY, headers=AUTH).json()["id"]
    assert fetch(client, task_id)["status"] == "succeeded"
    assert client.post("/__admin/scenarios/default", json={"name": "nope"}).status_code == 400
    assert client.post("/__admin/scenarios/default", json={"name": 3}).status_code == 400

    added = client.post("/__admin/scenarios", json={"name": "mine", "yaml": "description: mine\nstuck: queued\n"})
    assert added.status_code == 201 and added.json()["source"] == "admin API"
    stuck = client.post(SUBMIT, json=BODY, headers={**AUTH, "X-Mock-Scenario": "mine"}).json()["id"]
    client.runtime.clock.advance(86400)
    assert fetch(client, stuck)["status"] == "queued"
    bad = client.post("/__admin/scenarios", json={"name": "bad", "yaml": "description: x\nstuck: 5\n"})
    assert bad.status_code == 400 and "line 2" in bad.json()["error"]["message"]
    assert client.post("/__admin/scenarios", json={"name": "x"}).status_code == 400

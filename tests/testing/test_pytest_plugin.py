"""The pytest plugin, run as a user runs it: pytest sessions inside this one (pytester)."""

from __future__ import annotations

import textwrap

import pytest

SUBMIT = """
def submit(mock, key="sk-test"):
    import httpx

    body = {"model": "jimeng-video-3.0", "prompt": "a cat"}
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.post(mock.url_for("crazyrouter") + "/jimeng/submit/videos", json=body, headers=headers)
"""


# Inner sessions skip hypothesis's plugin: its end-of-session summary alone costs a second or two.
QUIET = ("-p", "no:hypothesispytest")


def with_submit(source: str) -> str:
    return SUBMIT + textwrap.dedent(source)


def test_nothing_starts_unless_a_test_asks_for_the_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import threading

        def test_plain():
            assert not [t for t in threading.enumerate() if t.name == "jimeng-mock-server"]
        """
    )
    pytester.runpytest_subprocess(*QUIET).assert_outcomes(passed=1)  # a process of its own: no server of ours


def test_fixtures_and_marker_are_documented(pytester: pytest.Pytester) -> None:
    fixtures = pytester.runpytest(*QUIET, "--fixtures").stdout.str()
    for name in ("jimeng_mock_settings", "jimeng_mock_server", "jimeng_mock "):
        assert name in fixtures
    markers = pytester.runpytest(*QUIET, "--markers").stdout.str()
    assert "@pytest.mark.jimeng_mock(scenario=None, seed=None, time_scale=None, providers=None" in markers


def test_each_test_starts_from_a_clean_mock_on_the_same_address(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        with_submit(
            """
            seen = {}

            def test_dirty_it(jimeng_mock):
                seen["url"], seen["start"] = jimeng_mock.url, jimeng_mock.clock.now()
                seen["task"] = submit(jimeng_mock).json()["id"]
                jimeng_mock.clock.advance(3600)
                jimeng_mock.use_scenario("stuck_queue")

            def test_finds_it_clean(jimeng_mock):
                assert jimeng_mock.url == seen["url"]
                assert jimeng_mock.tasks == [] and len(jimeng_mock.journal) == 0
                assert jimeng_mock.clock.now() == seen["start"]
                assert jimeng_mock.scenario == "default"
                assert jimeng_mock.settings.clock == "virtual"
                assert submit(jimeng_mock).json()["id"] == seen["task"]  # random streams restarted
            """
        )
    )
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)


def test_the_marker_configures_one_test_and_the_closest_marker_wins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        with_submit(
            """
            import pytest

            pytestmark = pytest.mark.jimeng_mock(seed=5, api_keys=["sk-module"])

            @pytest.mark.jimeng_mock(api_keys=["sk-team"], scenario="moderation_fail")
            def test_marked(jimeng_mock):
                assert jimeng_mock.settings.seed == 5
                assert submit(jimeng_mock, key="sk-module").status_code == 401
                task_id = submit(jimeng_mock, key="sk-team").json()["id"]
                assert jimeng_mock.task(task_id).task.scenario == "moderation_fail"

            def test_module_marker_only(jimeng_mock):
                assert submit(jimeng_mock, key="sk-module").status_code == 200
                assert jimeng_mock.scenario == "default"
            """
        )
    )
    pytester.makepyfile(
        test_unmarked="""
        def test_session_settings_again(jimeng_mock):
            assert jimeng_mock.settings.seed == 0
            assert jimeng_mock.settings.api_keys == ()
        """
    )
    pytester.runpytest(*QUIET).assert_outcomes(passed=3)


def test_settings_come_from_the_fixture_over_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIMENG_MOCK_SEED", "9")
    monkeypatch.setenv("JIMENG_MOCK_SCENARIO", "stuck_queue")
    monkeypatch.setenv("JIMENG_MOCK_PORT", "1")  # a `serve` setting: the plugin takes a free port
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def jimeng_mock_settings():
            return {"scenario": "instant", "provider_options": {"crazyrouter": {"url_ttl": 60}}}
        """
    )
    pytester.makepyfile(
        """
        def test_settings(jimeng_mock):
            assert jimeng_mock.settings.seed == 9
            assert jimeng_mock.scenario == "instant"
            assert jimeng_mock.settings.clock == "virtual"
            assert jimeng_mock.runtime.contexts["crazyrouter"].settings.url_ttl == 60
            assert not jimeng_mock.url.endswith(":1")
        """
    )
    pytester.runpytest(*QUIET).assert_outcomes(passed=1)


def test_a_bad_marker_fails_the_test_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.jimeng_mock(sede=5)
        def test_typo(jimeng_mock):
            pass

        @pytest.mark.jimeng_mock(port=9000)
        def test_port(jimeng_mock):
            pass

        @pytest.mark.jimeng_mock(7)
        def test_positional(jimeng_mock):
            pass
        """
    )
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(errors=3)
    output = result.stdout.str()
    assert "\n@pytest.mark.jimeng_mock: unknown setting 'sede'\n" in output
    assert "\n@pytest.mark.jimeng_mock: cannot change ['port']: the address is the session's" in output
    assert "\n@pytest.mark.jimeng_mock: keyword arguments only, e.g. (seed=7), not (7,)\n" in output
    assert "During handling" not in output


def test_bad_session_settings_are_a_usage_error(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIMENG_MOCK_CLOCK", "sundial")
    pytester.makepyfile("def test_it(jimeng_mock):\n    pass\n")
    result = pytester.runpytest(*QUIET)
    result.stdout.fnmatch_lines(["*jimeng-mock settings (jimeng_mock_settings or JIMENG_MOCK_*): clock must be*"])
    assert result.ret != 0


def test_each_xdist_worker_runs_its_own_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        with_submit(
            """
            import pytest

            @pytest.mark.parametrize("n", range(8))
            def test_isolated(jimeng_mock, worker_id, n, tmp_path_factory):
                assert submit(jimeng_mock).status_code == 200
                assert len(jimeng_mock.tasks) == 1  # no other worker's task, no earlier test's
                out = tmp_path_factory.getbasetemp().parent.parent / f"{worker_id}-{n}"
                out.write_text(jimeng_mock.url)
            """
        )
    )
    result = pytester.runpytest_subprocess(*QUIET, "-n", "2")
    result.assert_outcomes(passed=8)
    urls: dict[str, set[str]] = {}
    for path in pytester.path.glob("**/gw*-*"):
        urls.setdefault(path.name.split("-")[0], set()).add(path.read_text())
    assert sorted(urls) == ["gw0", "gw1"]
    assert all(len(seen) == 1 for seen in urls.values())
    assert urls["gw0"] != urls["gw1"]


def test_the_admin_token_comes_from_the_environment_the_fixture_or_a_marker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIMENG_MOCK_ADMIN_TOKEN", "from-env")
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def advance(mock, headers):
            return httpx.post(mock.admin_url + "/clock/advance", json={"seconds": 1}, headers=headers).status_code

        def test_env_token(jimeng_mock):
            assert advance(jimeng_mock, {}) == 401
            assert jimeng_mock.admin_headers == {"Authorization": "Bearer from-env"}
            assert advance(jimeng_mock, jimeng_mock.admin_headers) == 200

        @pytest.mark.jimeng_mock(admin_token="from-marker")
        def test_marker_token(jimeng_mock):
            assert advance(jimeng_mock, {"Authorization": "Bearer from-env"}) == 401
            assert advance(jimeng_mock, jimeng_mock.admin_headers) == 200
        """
    )
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)

"""YAML parsed once per content: the cache returns what parsing returns, and never more than that."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest
import yaml

from mockserver.contracts.contract import contracts_dir
from mockserver.contracts.yaml_cache import cache_dir, load_yaml


def _write(folder: Path, text: str) -> Path:
    path = folder / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _cached(folder: Path) -> list[Path]:
    return sorted(folder.glob("doc.*.marshal"))


def test_a_second_load_reads_the_kept_value_and_equals_parsing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = contracts_dir() / "crazyrouter.yaml"
    first = load_yaml(path, cache)
    assert len(list(cache.glob("crazyrouter.*.marshal"))) == 1
    assert first == yaml.safe_load(path.read_text(encoding="utf-8"))
    assert load_yaml(path, cache) == first


def test_the_kept_value_is_what_is_returned(tmp_path: Path) -> None:
    cache, path = tmp_path / "cache", _write(tmp_path, "a: 1\n")
    load_yaml(path, cache)
    [kept] = _cached(cache)
    kept.write_bytes(marshal.dumps({"a": "from the cache"}))
    assert load_yaml(path, cache) == {"a": "from the cache"}


def test_changed_content_is_parsed_again_and_the_older_value_dropped(tmp_path: Path) -> None:
    cache, path = tmp_path / "cache", _write(tmp_path, "a: 1\n")
    assert load_yaml(path, cache) == {"a": 1}
    [old] = _cached(cache)
    path.write_text("a: 2\nb: [x, 3]\n", encoding="utf-8")
    assert load_yaml(path, cache) == {"a": 2, "b": ["x", 3]}
    [new] = _cached(cache)
    assert new != old


def test_a_corrupt_cache_file_is_parsed_past(tmp_path: Path) -> None:
    cache, path = tmp_path / "cache", _write(tmp_path, "a: [1, 2]\n200: ok\n")
    load_yaml(path, cache)
    [kept] = _cached(cache)
    kept.write_bytes(b"\x00not marshal")
    assert load_yaml(path, cache) == {"a": [1, 2], 200: "ok"}


def test_an_unwritable_cache_still_loads(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    path = _write(tmp_path, "a: 1\n")
    assert load_yaml(path, blocked / "cache") == {"a": 1}


def test_a_value_marshal_cannot_write_is_not_kept(tmp_path: Path) -> None:
    cache, path = tmp_path / "cache", _write(tmp_path, "when: 2026-11-21\n")
    first = load_yaml(path, cache)
    assert str(first["when"]) == "2026-11-21"
    assert _cached(cache) == []
    assert load_yaml(path, cache) == first


def test_bad_yaml_raises_as_parsing_does(tmp_path: Path) -> None:
    path = _write(tmp_path, "a: [1, 2\n")
    with pytest.raises(yaml.YAMLError):
        load_yaml(path, tmp_path / "cache")
    assert _cached(tmp_path / "cache") == []


def test_the_cache_lives_in_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "jimeng-mock"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "jimeng-mock"

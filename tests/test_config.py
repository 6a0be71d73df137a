"""sources.yaml validation: every problem is one line naming the file, the source and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from owingest.config import check_sources, load_sources
from owingest.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_sources_file_is_valid_and_covers_the_three_kinds() -> None:
    config = load_sources(REPO / "sources.yaml")
    kinds = [s.kind for s in config.sources]
    assert len(config.sources) >= 30
    assert {k: kinds.count(k) for k in set(kinds)}.keys() == {"feed", "hf_models", "html"}
    assert config.fetch.allow_private_hosts is False
    hub_authors = {s.url.split("author=")[1].split("&")[0] for s in config.sources if s.kind == "hf_models"}
    assert {"meta-llama", "mistralai", "deepseek-ai", "Qwen", "google", "openai", "microsoft", "nvidia",
            "allenai", "HuggingFaceTB", "moonshotai", "MiniMaxAI", "zai-org"} <= hub_authors


@pytest.mark.parametrize(("entry", "expected"), [
    ("{id: a, kind: feed, url: 'ftp://x.org/f'}",
     "sources.yaml: source 'a': field 'url': must be an http or https URL"),
    ("{id: a, kind: rss, url: 'https://x.org/f'}",
     "sources.yaml: source 'a': field 'kind': unknown kind 'rss' (expected one of feed, hf_models, html)"),
    ("{id: a, kind: feed, url: 'https://x.org/f', colour: red}",
     "sources.yaml: source 'a': field 'colour': unknown key"),
    ("{id: a, kind: feed}", "sources.yaml: source 'a': field 'url': Field required"),
    ("{id: 'Bad Id', kind: feed, url: 'https://x.org/f'}",
     "sources.yaml: source 'Bad Id': field 'id': must be a slug: lower-case letters, digits, '.', '_' or '-'"),
    ("{id: a, kind: html, url: 'https://x.org/'}",
     "sources.yaml: source 'a': field 'selectors': Field required"),
    ("{id: a, kind: html, url: 'https://x.org/', selectors: {item: li, colour: x}}",
     "sources.yaml: source 'a': field 'selectors.colour': unknown key"),
    ("{id: a, kind: feed, url: 'https://x.org/f', enabled: maybe}",
     "sources.yaml: source 'a': field 'enabled': Input should be a valid boolean, unable to interpret input"),
    ("{kind: feed, url: 'https://x.org/f'}", "sources.yaml: entry #1: field 'id': Field required"),
])
def test_an_invalid_entry_is_reported_in_one_line(tmp_path: Path, entry: str, expected: str) -> None:
    config, problems = check_sources(write(tmp_path, f"sources:\n  - {entry}\n"))
    assert config is None
    assert problems == [expected]


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n"
                           "  - {id: a, kind: feed, url: 'https://x.org/1'}\n"
                           "  - {id: a, kind: feed, url: 'https://x.org/2'}\n")
    with pytest.raises(ConfigError, match=r"^sources.yaml: source 'a': field 'id': duplicate id$"):
        load_sources(path)


def test_load_names_the_first_problem_and_counts_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - {id: a, kind: x, url: 'https://x.org/1'}\n"
                           "  - {id: b, kind: y, url: 'https://x.org/2'}\n")
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    assert str(err.value).startswith("sources.yaml: source 'a': field 'kind'")
    assert str(err.value).endswith("(and 1 more; see `owingest sources check`)")


@pytest.mark.parametrize(("text", "expected"), [
    ("sources: [\n", "sources.yaml: not valid YAML (line 2)"),
    ("- a\n- b\n", "sources.yaml: expected a mapping with a 'sources' list at the top"),
    ("sources: []\nextra: 1\n", "sources.yaml: unknown top-level key 'extra'"),
])
def test_a_malformed_file_is_reported(tmp_path: Path, text: str, expected: str) -> None:
    _, problems = check_sources(write(tmp_path, text))
    assert problems[0].startswith(expected)


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    _, problems = check_sources(tmp_path / "nope.yaml")
    assert problems == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_private_hosts_are_refused_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "sources:\n  - {id: a, kind: feed, url: 'http://127.0.0.1/f'}\n")
    monkeypatch.delenv("OWINGEST_ALLOW_PRIVATE_HOSTS", raising=False)
    assert load_sources(path).fetch.allow_private_hosts is False
    monkeypatch.setenv("OWINGEST_ALLOW_PRIVATE_HOSTS", "1")
    assert load_sources(path).fetch.allow_private_hosts is True
    monkeypatch.delenv("OWINGEST_ALLOW_PRIVATE_HOSTS")
    path.write_text("allow_private_hosts: true\n" + path.read_text())
    assert load_sources(path).fetch.allow_private_hosts is True


def test_select_returns_enabled_sources_or_exactly_the_named_ones(tmp_path: Path) -> None:
    config = load_sources(write(tmp_path, "sources:\n"
                                          "  - {id: a, kind: feed, url: 'https://x.org/1'}\n"
                                          "  - {id: b, kind: feed, url: 'https://x.org/2', enabled: false}\n"))
    assert [s.id for s in config.select()] == ["a"]
    assert [s.id for s in config.select(["b"])] == ["b"]
    with pytest.raises(ConfigError, match="no source with id 'zz'"):
        config.select(["zz"])

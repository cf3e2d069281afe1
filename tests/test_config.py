"""Settings: defaults < TOML < env < flags, every setting documented in the README."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from assistant.config import ENV_PREFIX, Settings, load_settings
from assistant.errors import ConfigError
from tests.conftest import REPO


def test_defaults_work_offline():
    s = load_settings(env={})
    assert s.data_dir == Path(".data") and s.corpus == (Path("corpus"),)
    assert s.chroma_url == "" and s.embedding_model == "" and s.k == 5


def test_precedence_toml_then_env_then_overrides(tmp_path):
    toml = tmp_path / "ca.toml"
    toml.write_text('k = 7\nchunk_tokens = 150\ndata_dir = "from-toml"\ncorpus = ["a", "b"]\n')
    env = {"CAREER_ASSISTANT_CONFIG": str(toml), "CAREER_ASSISTANT_CHUNK_TOKENS": "120"}
    s = load_settings(env=env, data_dir="from-flag", k=None)
    assert s.k == 7  # TOML; the None override is ignored
    assert s.chunk_tokens == 120  # env beats TOML
    assert s.data_dir == Path("from-flag")  # flag beats everything
    assert s.corpus == (Path("a"), Path("b"))


def test_table_form_of_toml(tmp_path):
    toml = tmp_path / "ca.toml"
    toml.write_text('[career-assistant]\ncollection = "team"\n')
    assert load_settings(config_file=toml, env={}).collection == "team"


def test_corpus_from_env_is_a_path_list():
    s = load_settings(env={"CAREER_ASSISTANT_CORPUS": "x:y"})
    assert s.corpus == (Path("x"), Path("y"))


def test_examples_from_env_or_toml(tmp_path):
    env = {"CAREER_ASSISTANT_EXAMPLES": " How do I start? | What should I read?|"}
    assert load_settings(env=env).examples == ("How do I start?", "What should I read?")
    toml = tmp_path / "ca.toml"
    toml.write_text('examples = ["Is a PhD worth it?"]\n')
    assert load_settings(config_file=toml, env={}).examples == ("Is a PhD worth it?",)
    toml.write_text("examples = []\n")
    assert load_settings(config_file=toml, env={}).examples == ()
    with pytest.raises(ConfigError, match="max_question_chars"):
        load_settings(
            env={"CAREER_ASSISTANT_EXAMPLES": "x" * 50, "CAREER_ASSISTANT_MAX_QUESTION_CHARS": "10"}
        )


@pytest.mark.parametrize(
    ("env", "phrase"),
    [
        ({"CAREER_ASSISTANT_K": "zero"}, "'k' has an invalid value"),
        ({"CAREER_ASSISTANT_K": "0"}, "at least 1"),
        ({"CAREER_ASSISTANT_EMBEDDING_DTYPE": "int8"}, "embedding_dtype"),
        ({"CAREER_ASSISTANT_LEXICAL_WEIGHT": "-1"}, "lexical_weight"),
        ({"CAREER_ASSISTANT_CHROMA_URL": "localhost:8000"}, "http://"),
        ({"CAREER_ASSISTANT_CONFIG": "/no/such/file.toml"}, "does not exist"),
    ],
)
def test_bad_values_name_the_setting(env, phrase):
    with pytest.raises(ConfigError, match=phrase):
        load_settings(env=env)


def test_unknown_toml_key_is_an_error(tmp_path):
    toml = tmp_path / "ca.toml"
    toml.write_text("colection = 'typo'\n")
    with pytest.raises(ConfigError, match="Unknown setting 'colection'"):
        load_settings(config_file=toml, env={})


def test_invalid_toml_is_an_error(tmp_path):
    toml = tmp_path / "ca.toml"
    toml.write_text("k = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=toml, env={})


def test_every_setting_is_in_the_readme_table():
    readme = (REPO / "README.md").read_text()
    for f in fields(Settings):
        assert f"`{ENV_PREFIX}{f.name.upper()}`" in readme, f.name


SECRETS = {
    "CAREER_ASSISTANT_LLM_API_KEY": "sk-secret-llm",
    "CAREER_ASSISTANT_API_TOKEN": "secret-api-token",
    "CAREER_ASSISTANT_DISCORD_TOKEN": "secret-discord-token",
}


def test_secrets_are_read_but_never_shown_in_repr():
    s = load_settings(env=SECRETS)
    assert (s.llm_api_key, s.api_token, s.discord_token) == tuple(SECRETS.values())
    for secret in SECRETS.values():
        assert secret not in repr(s) and secret not in str(s)
    assert "llm_model=" in repr(s)  # the rest is still there to debug with


@pytest.mark.parametrize(
    ("name", "conventional"),
    [("llm_api_key", "OPENAI_API_KEY"), ("discord_token", "DISCORD_TOKEN")],
)
def test_conventional_variables_are_the_fallback(tmp_path, name, conventional):
    ours = ENV_PREFIX + name.upper()
    assert getattr(load_settings(env={conventional: "theirs"}), name) == "theirs"
    both = {conventional: "theirs", ours: "ours"}
    assert getattr(load_settings(env=both), name) == "ours"
    toml = tmp_path / "ca.toml"
    toml.write_text(f'{name} = "from-toml"\n')
    assert getattr(load_settings(config_file=toml, env={conventional: "theirs"}), name) == (
        "from-toml"
    )
    assert getattr(load_settings(env={}), name) == ""


def test_the_llm_backend_takes_its_key_from_settings_only(monkeypatch):
    from assistant.answer.llm import make_chat_model

    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    keyless = make_chat_model(Settings(), "openai")
    assert keyless.openai_api_key.get_secret_value() == "not-needed"  # type: ignore[attr-defined]
    loaded = make_chat_model(load_settings(env={"OPENAI_API_KEY": "sk-loaded"}), "openai")
    assert loaded.openai_api_key.get_secret_value() == "sk-loaded"  # type: ignore[attr-defined]


def test_context_must_leave_room_for_the_prompt():
    assert load_settings(env={}).llm_context_tokens == 4096
    with pytest.raises(ConfigError, match=r"llm_context_tokens \(400\) must be larger"):
        load_settings(env={"CAREER_ASSISTANT_LLM_CONTEXT_TOKENS": "400"})

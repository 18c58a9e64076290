from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from dialer.logging import mask_number
from dialer.settings import DEFAULT_SQLITE_URL, SettingsError, load_settings, misspelt_variables

EXAMPLE = Path(__file__).resolve().parents[2] / "dialer" / "dialer.example.toml"


def test_defaults_run_the_demo_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("DIALER_"):
            monkeypatch.delenv(key)
    settings = load_settings()
    assert settings.database_url == DEFAULT_SQLITE_URL
    assert settings.ami[0].host == "127.0.0.1"


def test_example_file_loads_and_matches_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("DIALER_"):
            monkeypatch.delenv(key)
    assert load_settings(EXAMPLE).model_dump() == load_settings().model_dump()


def test_environment_overrides_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_HTTP__PORT", "9999")
    monkeypatch.setenv("DIALER_DATABASE_URL", "postgresql+asyncpg://u@127.0.0.1/db")
    settings = load_settings(EXAMPLE)
    assert settings.http.port == 9999
    assert settings.database_url.startswith("postgresql+asyncpg://")


def test_bad_values_give_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('database_url = "mysql://x"\n')
    with pytest.raises(SettingsError, match="database_url"):
        load_settings(bad)
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("latin1.toml", '# caf\xe9\nlog_level = "INFO"\n'.encode("latin-1"), " is not UTF-8 text"),
        ("a-directory", None, ": it is a directory"),
    ],
)
def test_an_unusable_config_file_is_named_with_why(tmp_path: Path, name: str, content: bytes | None, why: str) -> None:
    config = tmp_path / name
    if content is None:
        config.mkdir()
    else:
        config.write_bytes(content)
    with pytest.raises(SettingsError) as refused:
        load_settings(config)
    assert str(refused.value) == f"config file {config}{why}"


@pytest.mark.parametrize(("variable", "value"), [("DIALER_INBOUND_QUEUES", "sales,support"), ("DIALER_AMI", "pbx1")])
def test_a_list_from_the_environment_not_in_json_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value).startswith(f"environment variable {variable} is not valid JSON: ")
    monkeypatch.setenv("DIALER_INBOUND_QUEUES", '["sales", "support"]')
    monkeypatch.delenv("DIALER_AMI", raising=False)
    assert load_settings().inbound_queues == ["sales", "support"]


def test_a_misspelt_key_in_a_table_is_refused_as_at_the_top_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = tmp_path / "typo.toml"
    typo.write_text('[http]\nprot = 9000\n\n[[ami]]\nname = "pbx1"\nsecrte = "s3cret"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        load_settings(typo)
    lines = str(refused.value).splitlines()
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["http.prot", "ami.0.secrte"]
    assert "s3cret" not in str(refused.value)
    monkeypatch.setenv("DIALER_SMTP__HOTS", "smtp.example.com")
    with pytest.raises(SettingsError, match=r"smtp\.hots"):
        load_settings()


def test_a_tables_key_written_with_one_underscore_is_pointed_out() -> None:
    environ = {
        "DIALER_HTTP_PORT": "8081",  # meant DIALER_HTTP__PORT: never read
        "DIALER_AMI_0_SECRET": "s3cret",
        "DIALER_INBOUND_SERVICE_LEVEL_TARGET": "0.9",
        "DIALER_AMI__0__SECRET": "s3cret",  # right
        "DIALER_INBOUND_QUEUES": "[]",  # a setting of its own
        "DIALER_TEST_PG_URL": "x",  # not the settings' at all
        "DIALER_LANG": "ja",
    }
    assert misspelt_variables(environ) == [
        ("DIALER_AMI_0_SECRET", "DIALER_AMI__0__SECRET"),
        ("DIALER_HTTP_PORT", "DIALER_HTTP__PORT"),
        ("DIALER_INBOUND_SERVICE_LEVEL_TARGET", "DIALER_INBOUND_SERVICE_LEVEL__TARGET"),
    ]


def test_secret_file_must_be_private(tmp_path: Path) -> None:
    secret = tmp_path / "ami-secret"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[ami]]\nsecret_file = "{secret}"\n')
    with pytest.raises(SettingsError, match="chmod 600"):
        load_settings(cfg)
    secret.chmod(0o600)
    assert load_settings(cfg).ami[0].secret.get_secret_value() == "s3cret"


def test_phone_numbers_are_masked() -> None:
    assert mask_number("+15551234567") == "+155******67"
    assert mask_number("Local/5550001@sim-pstn") == "Local/555**01@sim-pstn"
    assert mask_number("ext 12") == "ext 12"


def test_demo_ami_target_parses_like_dialer_test_ami() -> None:
    from dialer.demo import parse_ami_target

    server = parse_ami_target("127.0.0.1:5038:dialer:dialer-lab")
    assert (server.host, server.port, server.username) == ("127.0.0.1", 5038, "dialer")
    assert server.secret.get_secret_value() == "dialer-lab"
    with pytest.raises(ValueError, match="host:port:user:secret"):
        parse_ami_target("127.0.0.1:5038")


def _private(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o700 | 0o004, 0o620])
@pytest.mark.parametrize("which", ["ami", "database"])
def test_secret_files_open_to_group_or_others_are_refused(tmp_path: Path, which: str, mode: int) -> None:
    secret = _private(tmp_path / "secret", "s3cret\n", mode)
    cfg = tmp_path / "c.toml"
    if which == "ami":
        cfg.write_text(f'[[ami]]\nsecret_file = "{secret}"\n')
    else:
        cfg.write_text(f'database_url = "postgresql+asyncpg://dialer@db/dialer"\ndatabase_password_file = "{secret}"\n')
    with pytest.raises(SettingsError, match=rf"secret file {secret} is open to group or others .*chmod 600"):
        load_settings(cfg)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda p: None, "no such file"),
        (lambda p: _private(p, "  \n"), "is empty"),
        (lambda p: p.mkdir(mode=0o700), "not a regular file"),
    ],
)
def test_unusable_secret_files_are_refused_clearly(tmp_path: Path, make: Any, why: str) -> None:
    secret = tmp_path / "secret"
    make(secret)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[ami]]\nsecret_file = "{secret}"\n')
    with pytest.raises(SettingsError, match=why):
        load_settings(cfg)


def test_database_password_from_a_private_file(tmp_path: Path) -> None:
    secret = _private(tmp_path / "db-password", "pa55:w/rd@x\n")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'database_url = "postgresql+asyncpg://dialer@db/dialer"\ndatabase_password_file = "{secret}"\n')
    from sqlalchemy.engine import make_url

    url = make_url(load_settings(cfg).database_url)
    assert (url.username, url.password, url.host) == ("dialer", "pa55:w/rd@x", "db")


def test_secrets_from_the_environment_keep_the_files_other_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("DIALER_"):
            monkeypatch.delenv(key)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[ami]]\nname = "a"\nhost = "10.0.0.1"\n\n[[ami]]\nname = "b"\nhost = "10.0.0.2"\n')
    monkeypatch.setenv("DIALER_AMI__1__SECRET", "from-env")
    monkeypatch.setenv("DIALER_AMI__0__SECRET_FILE", str(_private(tmp_path / "a-secret", "from-file\n")))
    monkeypatch.setenv("DIALER_DATABASE_URL", "postgresql+asyncpg://dialer:env-pw@db/dialer")
    settings = load_settings(cfg)
    assert [(a.name, a.host, a.secret.get_secret_value()) for a in settings.ami] == [
        ("a", "10.0.0.1", "from-file"),
        ("b", "10.0.0.2", "from-env"),
    ]
    assert "env-pw" in settings.database_url
    assert "from-env" not in repr(settings)  # SecretStr: never printed
    monkeypatch.setenv("DIALER_AMI__0__SECRET_FILE", str(_private(tmp_path / "open", "x", 0o644)))
    with pytest.raises(SettingsError, match="chmod 600"):
        load_settings(cfg)


def test_the_cli_refuses_an_open_secret_file_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dialer.cli import app

    secret = _private(tmp_path / "ami-secret", "s3cret", 0o640)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[ami]]\nsecret_file = "{secret}"\n')
    result = CliRunner().invoke(app, ["--config", str(cfg), "db", "upgrade"])
    assert result.exit_code == 1
    assert "error: " in result.output
    assert f"secret file {secret} is open to group or others" in result.output
    assert "chmod 600" in result.output
    assert "Traceback" not in result.output
    assert "s3cret" not in result.output

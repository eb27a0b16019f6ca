from __future__ import annotations

from pathlib import Path

import pytest

from edcert.harness.config import load_config
from edcert.harness.errors import ConfigError

GOOD = """
[vendor]
name = "Acme Learning"
product = "Acme SIS"

[oneroster]
version = "1.2"
base_url = "https://sandbox.acme.example"
token_url = "https://sandbox.acme.example/oauth/token"
client_id = "acme"
client_secret_env = "ACME_SECRET"
rate_limit = 5
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vendor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_resolves_secret_from_env(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), env={"ACME_SECRET": "s3cret-value"})
    assert config.oneroster is not None
    assert config.oneroster.client_secret.get_secret_value() == "s3cret-value"
    assert config.claimed_standards() == ["oneroster-1.2"]
    assert config.oneroster.rostering_url == "https://sandbox.acme.example/ims/oneroster/rostering/v1p2"
    assert "s3cret-value" not in repr(config)
    assert "s3cret-value" not in config.model_dump_json()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace('client_id = "acme"\n', ""), "missing key 'oneroster.client_id'"),
        (GOOD.replace("rate_limit = 5", 'rate_limit = "fast"'), "'oneroster.rate_limit'"),
        (GOOD.replace('version = "1.2"', 'version = "9.9"'), "'oneroster.version'"),
        (GOOD + "\nsurprise = 1\n", "unknown key 'oneroster.surprise'"),
        (GOOD.replace("https://sandbox.acme.example\"\ntoken", "ftp://x\"\ntoken"), "http:// or https://"),
        ("[vendor]\nname='x'\n", "claims no standard"),
        ("not toml = [", "not valid TOML"),
    ],
)
def test_bad_config_gives_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env={"ACME_SECRET": "x"})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unset_secret_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="environment variable ACME_SECRET"):
        load_config(write(tmp_path, GOOD), env={})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")


def test_service_path_in_base_url_is_explained(tmp_path: Path) -> None:
    text = GOOD.replace('base_url = "https://sandbox.acme.example"',
                        'base_url = "https://sandbox.acme.example/ims/oneroster/rostering/v1p2"')
    with pytest.raises(ConfigError, match="server root"):
        load_config(write(tmp_path, text), env={"ACME_SECRET": "x"})

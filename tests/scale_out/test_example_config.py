"""The example host's configuration: clear errors for bad files, no secret in a repr."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

from scale_out.config import ConfigError, load_config


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return path


def _account(**extra: str) -> dict[str, str]:
    return {"name": "shop-a", "user": "api-user", **extra}


def test_a_full_file_reads_into_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_A_SECRET", "s3cr3t-from-env")
    path = _write(
        tmp_path,
        {
            "database": "host=/db dbname=orders password=pg-pass",
            "lease_seconds": 60,
            "claim_seconds": 30,
            "accounts": [_account(secret_env="SHOP_A_SECRET")],
        },
    )
    monkeypatch.setenv("SCALE_OUT_CONFIG", str(path))
    config = load_config()
    account = config.account("shop-a")
    assert account.secret == "s3cr3t-from-env"
    settings = config.settings(account)
    assert (settings.account, settings.lease_ttl, settings.claim_ttl) == (
        "shop-a",
        timedelta(seconds=60),
        timedelta(seconds=30),
    )
    assert "s3cr3t" not in repr(config)
    assert "pg-pass" not in repr(config)
    with pytest.raises(ConfigError, match="no account 'shop-b'"):
        config.account("shop-b")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"database": "x", "accounts": []}, "'accounts' must be a non-empty list"),
        ({"accounts": [_account(secret="s")]}, "'database' must be a non-empty string"),
        ({"database": "x", "accounts": [_account()]}, r"accounts\[0\]: 'secret'"),
        ({"database": "x", "accounts": ["shop"]}, r"accounts\[0\] must be an object"),
        (
            {"database": "x", "accounts": [_account(secret_env="NOT_SET_ANYWHERE")]},
            "NOT_SET_ANYWHERE is not set",
        ),
        (
            {"database": "x", "accounts": [_account(secret="a"), _account(secret="b")]},
            "account names must be unique",
        ),
    ],
)
def test_a_bad_file_is_a_config_error(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, data))


def test_no_file_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCALE_OUT_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="set SCALE_OUT_CONFIG"):
        load_config()
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.json")

"""The host's configuration: one PostgreSQL database and the Jet accounts to sync.

The file named by ``SCALE_OUT_CONFIG`` is JSON::

    {
      "database": "host=/run/postgresql dbname=orders",
      "cron": "*/5 * * * *",
      "lease_seconds": 900,
      "claim_seconds": 300,
      "heartbeat_seconds": 10,
      "stalled_seconds": 30,
      "recover_cron": "* * * * *",
      "accounts": [
        {"name": "shop-a", "user": "...", "secret_env": "SHOP_A_SECRET"},
        {"name": "shop-b", "user": "...", "secret": "...", "base_url": "https://..."}
      ]
    }

``database`` is a libpq connection string; procrastinate and the order storage share it.
``cron`` is when each account's sync is due (a sixth field counts seconds). ``lease_seconds``
and ``claim_seconds`` are the engine's ``lease_ttl`` and ``claim_ttl``. Workers beat every
``heartbeat_seconds``; a sync job whose worker has not beaten for ``stalled_seconds`` (the worker
died) is marked failed by the recovery job (due on ``recover_cron``), which frees the account's
lock for its next sync. An account's secret comes from the environment variable ``secret_env``
names, or from ``secret``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs

from jet_orderhive import IntegrationSettings

__all__ = ["Account", "Config", "ConfigError", "load_config"]

DEFAULT_BASE_URL = "https://merchant-api.jet.com/api"


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or incomplete."""


@attrs.frozen(kw_only=True)
class Account:
    """One Jet merchant account; ``name`` scopes its records in the shared database."""

    name: str
    user: str
    secret: str = attrs.field(repr=False)
    base_url: str = DEFAULT_BASE_URL


@attrs.frozen(kw_only=True)
class Config:
    """The database, the schedules, the lease, claim and heartbeat lengths, and the accounts."""

    database: str = attrs.field(repr=False)
    cron: str = "*/5 * * * *"
    lease: timedelta = timedelta(minutes=15)
    claim: timedelta = timedelta(minutes=5)
    heartbeat: float = 10.0
    stalled: float = 30.0
    recover_cron: str = "* * * * *"
    accounts: tuple[Account, ...] = ()

    def account(self, name: str) -> Account:
        """The account called ``name``."""
        for account in self.accounts:
            if account.name == name:
                return account
        raise ConfigError(f"no account {name!r} in the configuration")

    def settings(self, account: Account) -> IntegrationSettings:
        """The engine's settings for one account: its name, the lease and claim lengths."""
        return IntegrationSettings(account=account.name, lease_ttl=self.lease, claim_ttl=self.claim)


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {key!r} must be a non-empty string")
    return value


def _account(data: Any, index: int) -> Account:
    where = f"accounts[{index}]"
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be an object")
    if "secret_env" in data:
        variable = _text(data, "secret_env", where)
        secret = os.environ.get(variable, "")
        if not secret:
            raise ConfigError(f"{where}: the environment variable {variable} is not set")
    else:
        secret = _text(data, "secret", where)
    return Account(
        name=_text(data, "name", where),
        user=_text(data, "user", where),
        secret=secret,
        base_url=str(data.get("base_url", DEFAULT_BASE_URL)),
    )


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the configuration from ``path``, or from the file ``SCALE_OUT_CONFIG`` names."""
    if path is None:
        path = os.environ.get("SCALE_OUT_CONFIG", "")
        if not path:
            raise ConfigError("set SCALE_OUT_CONFIG to the configuration file")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read the configuration {os.fspath(path)!r}: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a JSON object")
    raw = data.get("accounts")
    if not isinstance(raw, list) or not raw:
        raise ConfigError("'accounts' must be a non-empty list")
    accounts = tuple(_account(item, index) for index, item in enumerate(raw))
    names = [a.name for a in accounts]
    if len(set(names)) != len(names):
        raise ConfigError("account names must be unique")
    return Config(
        database=_text(data, "database", "the configuration"),
        cron=str(data.get("cron", "*/5 * * * *")),
        lease=timedelta(seconds=float(data.get("lease_seconds", 900))),
        claim=timedelta(seconds=float(data.get("claim_seconds", 300))),
        heartbeat=float(data.get("heartbeat_seconds", 10)),
        stalled=float(data.get("stalled_seconds", 30)),
        recover_cron=str(data.get("recover_cron", "* * * * *")),
        accounts=accounts,
    )

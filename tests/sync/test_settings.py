import attrs
import pytest

from jet_orderhive.sync.settings import IntegrationSettings


def test_defaults_follow_orderhive() -> None:
    settings = IntegrationSettings()
    assert (settings.push_stock, settings.push_order_status, settings.push_price) == (
        True,
        True,
        True,
    )
    assert settings.auto_archive
    assert settings.confirm_on_import
    assert settings.initial_sync_days == 30
    assert not settings.import_created
    assert not settings.dry_run


def test_settings_are_frozen_and_validated() -> None:
    settings = IntegrationSettings()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        settings.dry_run = True  # type: ignore[misc]
    with pytest.raises(ValueError, match="concurrency"):
        IntegrationSettings(concurrency=0)
    with pytest.raises(ValueError, match="bulk_threshold"):
        IntegrationSettings(bulk_threshold=-1)

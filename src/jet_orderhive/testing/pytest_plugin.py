"""pytest plugin: rewrite the storage kit's asserts so a failing check shows the values compared.

pytest rewrites ``assert`` statements only in test modules and in modules registered before
they are imported; the kit is installed library code, so without this plugin a broken adapter
would fail with a bare ``AssertionError``. Installed with the package (entry point ``pytest11``),
it registers the kit before any test module imports it. Disable it with
``-p no:jet_orderhive``.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("jet_orderhive.testing.storage_kit")

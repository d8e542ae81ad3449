"""A report's JSON view, typed key by key: `make typecheck` runs mypy --strict on this file."""

from jet_orderhive import Integration, MemoryStorage, SyncReportDict
from jet_orderhive.testing import JetSandbox

sandbox = JetSandbox(seed=1)
sandbox.generate_orders(3)
report = Integration(sandbox.client(), MemoryStorage()).import_orders()

data: SyncReportDict = report.to_dict()
created: int = data["counts"]["created"]
assert created == 3
assert data["ok"] is report.ok
failed = [push["target"] for push in data["pushes"] if push["result"] == "failed"]
assert failed == []

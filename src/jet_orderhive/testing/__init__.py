"""Test helpers for users and for this package: the Jet sandbox, factories, the storage kit."""

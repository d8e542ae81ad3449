"""Errors a storage adapter raises beyond the built-in ``KeyError`` / ``ValueError``."""

from __future__ import annotations

__all__ = ["StorageBusyError", "StorageError", "TransactionAborted", "UnsupportedSchemaError"]


class StorageError(Exception):
    """Base of the errors that the storage adapters raise."""


class TransactionAborted(StorageError):
    """A nested block raised, so the whole unit of work was rolled back.

    Raised when the outermost ``transaction()`` block ends normally although an inner block
    exited with an exception (which the outer code caught): committing half of the unit would
    break its all-or-nothing promise.
    """


class StorageBusyError(StorageError):
    """The database stayed locked by another writer for longer than the adapter waits."""


class UnsupportedSchemaError(StorageError):
    """The database was written by a newer version of this library than the one running."""

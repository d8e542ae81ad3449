"""Errors the storage adapters raise, all under the library's root `JetOrderhiveError`.

A value the caller got wrong (a float price, a str payload) raises `JetOrderhiveValueError` or
`JetOrderhiveTypeError`, which are also the built-in ``ValueError`` / ``TypeError``.
"""

from __future__ import annotations

from jet_orderhive._errors import JetOrderhiveError

__all__ = [
    "RecordNotFound",
    "StorageBusyError",
    "StorageError",
    "TransactionAborted",
    "UnsupportedSchemaError",
]


class StorageError(JetOrderhiveError):
    """Base of the errors that the storage adapters raise."""


class RecordNotFound(StorageError, KeyError):
    """A key names no record: an outbox entry never enqueued, a SKU never linked.

    It is also a ``KeyError``. Enqueue the push or link the SKU first.
    """

    def __str__(self) -> str:
        # KeyError's str() would quote the message.
        return str(self.args[0]) if self.args else ""


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

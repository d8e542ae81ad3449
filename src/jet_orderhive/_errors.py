"""The root of every error class the library defines, importable by every layer.

``except JetOrderhiveError`` catches them all. Errors about a value the caller passed also derive
from the built-in ``ValueError`` or ``TypeError``, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = ["JetOrderhiveError", "JetOrderhiveTypeError", "JetOrderhiveValueError"]


class JetOrderhiveError(Exception):
    """Base of every error class jet_orderhive defines: Jet, storage, mapping and input errors."""


class JetOrderhiveValueError(JetOrderhiveError, ValueError):
    """A value given to the library is out of range or malformed; the message says which."""


class JetOrderhiveTypeError(JetOrderhiveError, TypeError):
    """A value given to the library has the wrong type (a float for money, a str for bytes)."""

"""JSON text <-> Python values with money kept exact, as the library reads and writes Jet's JSON.

``loads`` reads every number with a fraction or exponent as a :class:`decimal.Decimal` straight
from the text, never through ``float``; ``dumps`` writes a ``Decimal`` as a plain JSON number
and refuses a ``float``. ``JsonValue`` is the type of what ``loads`` returns and what the models'
``from_dict`` take and ``to_dict`` give.
"""

from __future__ import annotations

from jet_orderhive._json import JsonValue, dumps, loads

__all__ = ["JsonValue", "dumps", "loads"]

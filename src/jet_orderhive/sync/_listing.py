"""Reading an import's order lists: all of them at once, each list's ids kept in query order."""

from __future__ import annotations

from collections.abc import Sequence

from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync._plan import ListQuery
from jet_orderhive.sync._pool import RequestPool

__all__ = ["read_listings"]


def read_listings(
    engine: Engine, queries: Sequence[ListQuery]
) -> list[tuple[ListQuery, list[str]]]:
    """``(query, ids)`` for every query, in the order given; the requests run concurrently.

    An import reads eight lists before it can plan anything; one after another they cost
    eight round trips, together about one. Progress is ticked on the calling thread as each
    list arrives. When lists fail, the first failed query's error is raised, as a sequential
    read would have raised it, once every request has ended.

    Read together, the lists are answered in no set order, so an order that moves from one
    status to the next during the reads may be in neither: a stored one is then re-read by id
    as missing (within ``refresh_budget``), a new one comes in with the next run.
    """

    def read(query: ListQuery) -> list[str]:
        return engine.client.list_order_ids(query.status, cancelled=query.cancelled)

    results: dict[ListQuery, list[str] | Exception] = {}
    pool: RequestPool[ListQuery] = RequestPool(engine.settings.concurrency, "jet-list")
    try:
        for index, (query, outcome) in enumerate(pool.run(queries, read), start=1):
            results[query] = outcome
            engine.tick("list orders", index, len(queries))
    finally:
        pool.close()
    listings: list[tuple[ListQuery, list[str]]] = []
    for query in queries:
        outcome = results[query]
        if isinstance(outcome, Exception):
            raise outcome
        listings.append((query, outcome))
    return listings

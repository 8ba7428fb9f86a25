"""``GET /images``: plan a search on the term statistics, then read one partition.

The plan: the terms the query requires (tags, words, colour, orientation); their counts in
one BatchGetItem; the indexed partition (a term or an indexed pair, services.catalog.terms)
expected to hold the fewest images; a FilterExpression for whatever that partition does not
guarantee, with a Query ``Limit`` sized by the estimated share of items that pass it, so a
page reads about as many items as it returns. Later pages carry the partition and that share
in the cursor and read nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from services.catalog import cursor as cursors
from services.catalog import entries, index, terms, text
from services.catalog.store import CatalogStore

Sort = Literal["relevance", "popularity", "recent"]
MAX_PAGES = 3
"""Query pages read per request at most; past that the client gets a cursor to continue."""
MAX_READ = 400
"""Items one Query may evaluate (a filtered page reads at most this many)."""
READ_MARGIN = 1.25
"""Headroom over the estimated items to read, so an estimate slightly off still fills a page."""
COMPLETIONS = 20
"""Completions of a typed prefix considered (the most used one wins)."""


@dataclass(frozen=True)
class SearchQuery:
    """Normalised ``GET /images`` parameters."""

    words: tuple[str, ...] = ()
    """Complete words of ``q``, stemmed."""
    prefix: str | None = None
    """The last word of ``q`` while it is being typed (folded, not stemmed)."""
    tags: tuple[str, ...] = ()
    colour: str | None = None
    orientation: str | None = None
    min_width: int | None = None
    min_height: int | None = None
    sort: Sort = "recent"
    limit: int = 20

    @property
    def index_name(self) -> str:
        return entries.SORT_INDEXES[self.sort]

    @property
    def fingerprint(self) -> str:
        return cursors.fingerprint(
            words=list(self.words), prefix=self.prefix, tags=list(self.tags),
            colour=self.colour, orientation=self.orientation, min_width=self.min_width,
            min_height=self.min_height, sort=self.sort,
        )  # fmt: skip

    @property
    def fixed_terms(self) -> list[str]:
        """Required terms known without reading anything (the prefix is resolved later)."""
        found = [terms.term(terms.TAG, t) for t in self.tags]
        found += [terms.term(terms.WORD, w) for w in self.words]
        if self.colour:
            found.append(terms.term(terms.COLOUR, self.colour))
        if self.orientation:
            found.append(terms.term(terms.ORIENTATION, self.orientation))
        return list(dict.fromkeys(found))


def parse_text(q: str) -> tuple[tuple[str, ...], str | None]:
    """``q`` as (complete word stems, prefix): the last word is a prefix unless ``q`` ends
    with a space (search-as-you-type)."""
    found = text.tokens(q)
    prefix = None if not found or q[-1:].isspace() else found.pop()
    return tuple(dict.fromkeys(text.stem(t) for t in found)), prefix


@dataclass(frozen=True)
class Plan:
    partition: str
    filters: tuple[str, ...]
    """Required terms the partition does not guarantee."""
    selectivity: float
    """Estimated share of the partition's entries that pass the filters (0..1]."""


@dataclass(frozen=True)
class SearchPage:
    items: list[dict[str, Any]]
    cursor: str | None = None


def search(store: CatalogStore, query: SearchQuery, cursor: str | None) -> SearchPage:
    """One page of published images matching the query, in its sort order."""
    if cursor:
        position = cursors.decode(cursor, query.fingerprint, query.index_name)
        return _read(store, query, plan_from_position(query, position), position.key)
    plan = plan_search(store, query)
    page = SearchPage(items=[]) if plan is None else _read(store, query, plan, None)
    if not page.items and query.prefix is not None:
        # the last word, taken whole, found nothing: it may be the start of a longer word
        plan = plan_search(store, query, complete_prefix=True)
        page = SearchPage(items=[]) if plan is None else _read(store, query, plan, None)
    return page


def plan_search(
    store: CatalogStore, query: SearchQuery, complete_prefix: bool = False
) -> Plan | None:
    """The cheapest partition for the query; None when no image can match."""
    required = query.fixed_terms
    if query.prefix is not None:
        typed = terms.term(terms.WORD, text.stem(query.prefix))
        completed = complete(store, query.prefix) if complete_prefix else typed
        if completed is None or (completed == typed and complete_prefix):
            return None
        required = list(dict.fromkeys([*required, completed]))
    relevance = query.sort == "relevance"
    whole = covering(required, relevance)
    if whole is not None:  # one partition is exactly the query: no statistics needed
        return Plan(whole, (), 1.0)
    counts = store.term_counts([*required, terms.ALL])
    if any(counts[t] == 0 for t in required):
        return None
    return choose(required, counts, relevance)


def covering(required: list[str], relevance: bool) -> str | None:
    """The partition holding exactly the images with every required term, if one is indexed."""
    if not required:
        return terms.ALL
    if len(required) == 1:
        found = required[0]
    elif len(required) == 2 and terms.pairable(*required):
        found = terms.pair(*required)
    else:
        return None
    return found if terms.has_words(found) or not relevance else None


def complete(store: CatalogStore, prefix: str) -> str | None:
    """The most used indexed word starting with a typed prefix."""
    found = store.completions(terms.term(terms.WORD, prefix), COMPLETIONS)
    best = max(found.items(), key=lambda pair: (pair[1], pair[0]), default=None)
    return None if best is None or best[1] == 0 else best[0]


def choose(required: list[str], counts: Mapping[str, int], relevance: bool) -> Plan:
    """The indexed partition with the fewest expected images (independence assumed)."""
    total = max(counts[terms.ALL], 1)
    candidates = [*required]
    candidates += [
        terms.pair(a, b)
        for i, a in enumerate(required)
        for b in required[i + 1 :]
        if terms.pairable(a, b)
    ]
    if relevance:
        candidates = [c for c in candidates if terms.has_words(c)]

    def expected(partition: str) -> float:
        members = terms.members(partition) or [terms.ALL]
        return min(math.prod(counts[t] / total for t in members) * total,
                   *(counts[t] for t in members))  # fmt: skip

    best = min(candidates, key=lambda c: (expected(c), -len(terms.members(c)), c))
    filters = tuple(t for t in required if t not in terms.members(best))
    share = expected(terms.SEPARATOR.join(required)) / max(expected(best), 1)
    return Plan(best, filters, min(max(share, 1e-6), 1.0))


def plan_from_position(query: SearchQuery, position: cursors.Position) -> Plan:
    """A later page's plan, as the first page chose it (the cursor is checksummed)."""
    covered = {*terms.members(position.partition), *position.filters}
    if not set(query.fixed_terms) <= covered:
        raise cursors.InvalidCursor("cursor does not belong to this query")
    return Plan(position.partition, position.filters, position.selectivity)


def filter_condition(query: SearchQuery, plan: Plan) -> ConditionBase | None:
    conditions: list[ConditionBase] = [Attr("terms").contains(t) for t in plan.filters]
    if query.min_width:
        conditions.append(Attr("width").gte(query.min_width))
    if query.min_height:
        conditions.append(Attr("height").gte(query.min_height))
    return reduce(lambda a, b: a & b, conditions) if conditions else None


def _read(
    store: CatalogStore, query: SearchQuery, plan: Plan, start: dict[str, Any] | None
) -> SearchPage:
    name = query.index_name
    condition = filter_condition(query, plan)
    collected: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        wanted = query.limit + 1 - len(collected)  # one extra tells whether a next page exists
        kwargs: dict[str, Any] = {
            "IndexName": name,
            "KeyConditionExpression": Key(f"{name}pk").eq(entries.partition_key(plan.partition)),
            "ScanIndexForward": False,
            "Limit": wanted,
        }
        if condition is not None:
            kwargs["FilterExpression"] = condition
            kwargs["Limit"] = min(MAX_READ, math.ceil(wanted * READ_MARGIN / plan.selectivity))
        if start:
            kwargs["ExclusiveStartKey"] = start
        items, start = store.query_page(**kwargs)
        collected += items
        if len(collected) > query.limit:
            shown = collected[: query.limit]
            return _page(shown, query, plan, _index_key(shown[-1], name))
        if start is None:
            return _page(collected, query, plan, None)
    return _page(collected, query, plan, start)


def _index_key(item: Mapping[str, Any], name: str) -> dict[str, str]:
    return {k: str(item[k]) for k in ("pk", "sk", f"{name}pk", f"{name}sk")}


def _page(
    items: list[dict[str, Any]], query: SearchQuery, plan: Plan, key: Mapping[str, Any] | None
) -> SearchPage:
    cursor = None
    if key is not None:
        position = cursors.Position(
            partition=plan.partition,
            key={k: str(v) for k, v in key.items()},
            filters=plan.filters,
            selectivity=round(plan.selectivity, 6) or 1e-6,
        )
        cursor = cursors.encode(position, query.fingerprint)
    return SearchPage(items=[summary(item) for item in items], cursor=cursor)


def summary(item: Mapping[str, Any]) -> dict[str, Any]:
    """What a result shows of an image."""
    fields = (*index.SUMMARY_FIELDS, "popularity")
    return {name: index.plain(item.get(name)) for name in fields if name in item}

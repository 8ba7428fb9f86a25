"""An in-memory model of the catalog table that counts what the search code reads.

It answers the calls ``CatalogStore`` makes on the read path (``Query`` on the table and its
indexes, ``GetItem``, ``BatchGetItem``) with DynamoDB's semantics: key condition, sort order
and direction, ``ExclusiveStartKey``, ``Limit`` counted *before* the ``FilterExpression``,
``LastEvaluatedKey`` when items remain. Items are built by the catalog's own code
(``index.image_item``, ``entries.entry_item``, ``index.counter_key``) from a synthetic
catalogue, and only for the partitions a query reads, so a 1,000,000-image catalogue fits in
memory. tests/bench/test_search_model.py checks it returns exactly what moto returns.
"""

from __future__ import annotations

import bisect
import itertools
import multiprocessing
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from boto3.dynamodb.conditions import ConditionBase

from bench.search_catalogue import Catalogue
from services.catalog import entries, index, terms


@dataclass
class Reads:
    """What the code under test read: requests, items evaluated, and bytes per request."""

    requests: int = 0
    items: int = 0
    read_units: float = 0.0
    log: list[str] = field(default_factory=list)

    def add(self, operation: str, items: list[dict[str, Any]]) -> None:
        self.requests += 1
        self.items += len(items)
        size = sum(item_size(i) for i in items)
        # eventually consistent reads: half a unit per 4 KB (per item for GetItem/BatchGetItem)
        if operation == "Query":
            self.read_units += 0.5 * max(1, -(-size // 4096))
        else:
            self.read_units += sum(0.5 * max(1, -(-item_size(i) // 4096)) for i in items)
        self.log.append(operation)


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (numbers about a byte per 2 digits)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float):
        return len(str(abs(value)).replace(".", "")) // 2 + 2
    if isinstance(value, dict):
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return 3 + sum(1 + _value_size(v) for v in value)
    raise TypeError(f"no DynamoDB size for {type(value).__name__}")


class ModelTable:
    """Looks like a boto3 ``Table`` (and its ``meta.client``) to ``CatalogStore``."""

    def __init__(
        self,
        catalogue: Catalogue,
        progress: Callable[[int], None] | None = None,
        workers: int = 1,
    ):
        self.name = "model-catalog"
        self.meta = self  # CatalogStore reads table.meta.client
        self.client = self
        self.catalogue = catalogue
        self.reads = Reads()
        self.counts: Counter[str] = Counter()
        self._postings: dict[str, array[int]] = {}
        self._scores: dict[str, array[int]] = {}
        self._recency: list[str] = []
        self._popularity = array("i")
        self._sorted: dict[tuple[str, str], tuple[list[str], list[int]]] = {}
        self._build(progress, workers)

    # ---- building ------------------------------------------------------------------------

    def _build(self, progress: Callable[[int], None] | None, workers: int) -> None:
        """Index every image, in ``workers`` processes over consecutive ranges of images."""
        size = self.catalogue.size
        bounds = [size * i // workers for i in range(workers + 1)]
        ranges = [(self.catalogue, a, b) for a, b in itertools.pairwise(bounds)]
        if workers == 1:
            parts = [_index_range(*ranges[0])]
        else:
            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                parts = pool.starmap(_index_range, ranges)
        for part in parts:  # in image order, so every posting stays sorted
            self.counts.update(part.counts)
            for term, found in part.postings.items():
                self._postings.setdefault(term, array("i")).extend(found)
            for term, found in part.scores.items():
                self._scores.setdefault(term, array("b")).extend(found)
            self._popularity.extend(part.popularity)
            self._recency.extend(part.recency)
            if progress:
                progress(len(self._recency))

    @lru_cache(maxsize=100_000)  # noqa: B019 - one model per run, held for the run
    def image_item(self, n: int) -> dict[str, Any]:
        data = self.catalogue.image(n)
        return index.image_item(data, int(data["popularity"]))

    def members(self, partition: str) -> list[int]:
        """Images in a partition, by the definition of terms.partitions."""
        wanted = terms.members(partition) or [terms.ALL]
        lists = sorted((self._postings.get(t, array("i")) for t in wanted), key=len)
        found = set(lists[0])
        for other in lists[1:]:
            found.intersection_update(other)
        return sorted(found)

    def _sort_key(self, n: int, name: str, partition: str) -> str:
        image_id = self.catalogue.image_id(n)
        popularity = index.popularity_sort_key(self._popularity[n], image_id)
        if name == "gsi1":
            return popularity
        if name == "gsi2":
            return index.recency_sort_key(self._recency[n], image_id)
        score = sum(self._score(t, n) for t in terms.members(partition))
        return f"{score:0{entries.SCORE_DIGITS}d}#{popularity}"

    def _score(self, term: str, n: int) -> int:
        if terms.kind(term) != terms.WORD:
            return 0
        postings = self._postings[term]
        return int(self._scores[term][bisect.bisect_left(postings, n)])

    def _ordered(self, partition: str, name: str) -> tuple[list[str], list[int]]:
        """The partition's sort keys in the index, ascending, and their images."""
        cached = self._sorted.get((partition, name))
        if cached is None:
            if name == "gsi3" and not terms.has_words(partition):
                pairs: list[tuple[str, int]] = []
            else:
                pairs = sorted(
                    (self._sort_key(n, name, partition), n) for n in self.members(partition)
                )
            cached = ([k for k, _ in pairs], [n for _, n in pairs])
            self._sorted[(partition, name)] = cached
        return cached

    # ---- the DynamoDB calls CatalogStore makes -------------------------------------------

    def get_item(self, Key: dict[str, str], ConsistentRead: bool = False) -> dict[str, Any]:
        item = None
        if Key["sk"] == index.IMAGE_SK and Key["pk"].startswith("IMAGE#img-"):
            n = int(Key["pk"].removeprefix("IMAGE#img-"))
            item = self.image_item(n) if 0 <= n < self.catalogue.size else None
        self.reads.add("GetItem", [item] if item else [])
        return {"Item": item} if item else {}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        keys = RequestItems[self.name]["Keys"]
        found = [item for key in keys if (item := self._counter(key)) is not None]
        self.reads.add("BatchGetItem", found)
        return {"Responses": {self.name: found}, "UnprocessedKeys": {}}

    def _counter(self, key: dict[str, str]) -> dict[str, Any] | None:
        for term in self._counter_terms(key):
            if self.counts.get(term):
                return counter_item(term, self.counts[term])
        return None

    @staticmethod
    def _counter_terms(key: dict[str, str]) -> Iterator[str]:
        if key["pk"] == index.TAGS_PK:
            yield terms.term(terms.TAG, key["sk"].removeprefix("TAG#"))
        elif key["pk"] == index.TERMS_PK:
            yield key["sk"]

    def query(self, **kwargs: Any) -> dict[str, Any]:
        name = kwargs.get("IndexName")
        key = _key_condition(kwargs["KeyConditionExpression"])
        if name is None:
            return self._query_counters(key, int(kwargs.get("Limit", 10**9)))
        partition = key[f"{name}pk"][0].removeprefix(entries.PARTITION_PREFIX)
        sort_keys, images = self._ordered(partition, name)
        forward = kwargs.get("ScanIndexForward", True)
        start = kwargs.get("ExclusiveStartKey")
        order = range(len(images)) if forward else range(len(images) - 1, -1, -1)
        if start is not None:  # strictly after the start key, in the direction read
            after = start[f"{name}sk"]
            if forward:
                order = range(bisect.bisect_right(sort_keys, after), len(images))
            else:
                order = range(bisect.bisect_left(sort_keys, after) - 1, -1, -1)
        limit = int(kwargs.get("Limit", 10**9))
        evaluated = [
            entries.entry_item(self.image_item(images[i]), partition) for i in order[:limit]
        ]
        self.reads.add("Query", evaluated)
        condition = kwargs.get("FilterExpression")
        items = [i for i in evaluated if condition is None or matches(condition, i)]
        response: dict[str, Any] = {"Items": items, "Count": len(items)}
        if len(order) > limit:
            last = evaluated[-1]
            response["LastEvaluatedKey"] = {
                k: last[k] for k in ("pk", "sk", f"{name}pk", f"{name}sk")
            }
        return response

    def _query_counters(self, key: dict[str, tuple[str, str]], limit: int) -> dict[str, Any]:
        pk, (operator, prefix) = key["pk"][0], key["sk"]
        if pk != index.TERMS_PK or operator != "begins_with":
            raise NotImplementedError(f"model: no base-table query on {pk} with {operator}")
        found = sorted(
            t for t in self.counts if t.startswith(prefix) and terms.kind(t) != terms.TAG
        )
        items = [counter_item(t, self.counts[t]) for t in found[:limit]]
        self.reads.add("Query", items)
        response: dict[str, Any] = {"Items": items, "Count": len(items)}
        if len(found) > limit:
            response["LastEvaluatedKey"] = {"pk": pk, "sk": items[-1]["sk"]}
        return response


@dataclass
class _Part:
    """The index of one range of images, built in a worker process."""

    counts: Counter[str] = field(default_factory=Counter)
    postings: dict[str, array[int]] = field(default_factory=dict)
    scores: dict[str, array[int]] = field(default_factory=dict)
    popularity: array[int] = field(default_factory=lambda: array("i"))
    recency: list[str] = field(default_factory=list)


def _index_range(catalogue: Catalogue, first: int, end: int) -> _Part:
    part = _Part()
    word_prefix = terms.term(terms.WORD, "")
    for n in range(first, end):
        data = catalogue.image(n)
        image = index.image_item(data, int(data["popularity"]))
        part.popularity.append(int(image["popularity"]))
        part.recency.append(str(image["publishedAt"]))
        scores = terms.word_scores(image)
        for term in (terms.ALL, *image["terms"]):
            part.counts[term] += 1
            found = part.postings.get(term)
            if found is None:
                found = part.postings[term] = array("i")
            found.append(n)
            if term.startswith(word_prefix):
                part.scores.setdefault(term, array("b")).append(scores[term[2:]])
    return part


def counter_item(term: str, count: int) -> dict[str, Any]:
    """A term counter as the indexer's transactions leave it (index._count)."""
    key = index.counter_key(term)
    value = {"tag": term.split(":", 1)[1]} if key["pk"] == index.TAGS_PK else {"term": term}
    return {**key, "images": count, **value}


def _key_condition(condition: ConditionBase) -> dict[str, Any]:
    """``{pk_name: (value,), sk_name: (operator, value)}`` of a boto3 key condition."""
    parts = [condition] if type(condition).__name__ != "And" else list(condition._values)
    found: dict[str, Any] = {}
    for part in parts:
        operator = type(part).__name__
        attribute, value = part._values[0].name, part._values[1]
        if operator == "Equals" and attribute.endswith("pk"):
            found[attribute] = (value,)
        elif operator == "BeginsWith":
            found[attribute] = ("begins_with", value)
        else:
            raise NotImplementedError(f"model: key condition {operator} on {attribute}")
    return found


def matches(condition: ConditionBase, item: dict[str, Any]) -> bool:
    """A boto3 filter condition evaluated on one item (the operators the catalog uses)."""
    operator, values = type(condition).__name__, condition._values
    if operator == "And":
        return all(matches(v, item) for v in values)
    if operator == "Or":
        return any(matches(v, item) for v in values)
    if operator == "Not":
        return not matches(values[0], item)
    name, operand = values[0].name, values[1] if len(values) > 1 else None
    if name not in item:
        return False
    value = item[name]
    if operator == "Contains":
        return operand in value
    if operator == "Equals":
        return bool(value == operand)
    if operator == "GreaterThanEquals":
        return bool(value >= operand)
    if operator == "BeginsWith":
        return str(value).startswith(str(operand))
    raise NotImplementedError(f"model: filter operator {operator}")

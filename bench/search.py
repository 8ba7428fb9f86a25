"""python -m bench search: the catalog search's read cost on a synthetic catalogue.

Builds the catalogue (bench/search_catalogue.py), serves it through the in-memory table model
(bench/search_store.py) to the catalog's own read code (``services.catalog.search`` and
``similar``: the functions the Lambda runs), runs a query mix, and prints per query class the
items read per item returned and the requests per page (p50 / p95 / max), plus the index
writes and bytes per published image. BENCHMARKS.md, "Search", has the method and results.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bench.search_catalogue import Catalogue
from bench.search_store import ModelTable, item_size
from bench.settings import RESULTS_DIR
from services.catalog import entries, search, similar, terms, text
from services.catalog.store import CatalogStore

TARGET_READ_RATIO = 2.0
TARGET_REQUESTS = 3
DEEP_PAGE = 20
SIMILAR_LIMIT = 12
"""A "more like this" strip."""
RARE_COLOURS = ("pink", "purple", "yellow")
ORIENTATION_WEIGHTS = {"landscape": 60, "portrait": 35, "square": 5}
CLASSES = (
    "popular tag", "rare tag", "popular tag x rare colour", "two popular tags",
    "text, 1-3 words", "text + colour", "orientation + tag", "similar",
    f"deep pagination (page {DEEP_PAGE})",
)  # fmt: skip


@dataclass(frozen=True)
class Page:
    """One measured page: what the code read to return it."""

    query_class: str
    returned: int
    items_read: int
    requests: int
    read_units: float

    @property
    def ratio(self) -> float:
        return self.items_read / max(self.returned, 1)


@dataclass(frozen=True)
class Row:
    query_class: str
    pages: int
    returned_mean: float
    ratio_p50: float
    ratio_p95: float
    ratio_max: float
    requests_p50: float
    requests_p95: float
    requests_max: int
    read_units_mean: float

    @property
    def meets_targets(self) -> bool:
        return self.ratio_p95 <= TARGET_READ_RATIO and self.requests_p95 <= TARGET_REQUESTS


class Bench:
    """The model, the store the catalog code reads through, and a seeded query generator."""

    def __init__(self, table: ModelTable, seed: int = 7):
        self.table = table
        self.store = CatalogStore(table)
        self.rng = random.Random(seed)
        counted = sorted(self.table.counts.items(), key=lambda pair: (-pair[1], pair[0]))
        tags = [t for t, _ in counted if terms.kind(t) == terms.TAG]
        self.popular_tags = [t[2:] for t in tags[:20]]
        self.rare_tags = [t[2:] for t, n in counted if terms.kind(t) == terms.TAG and 2 <= n <= 100]

    def measure(self, query_class: str, run: Callable[[], int]) -> Page:
        before = (self.table.reads.items, self.table.reads.requests, self.table.reads.read_units)
        returned = run()
        reads = self.table.reads
        return Page(
            query_class, returned, reads.items - before[0], reads.requests - before[1],
            reads.read_units - before[2],
        )  # fmt: skip

    def searched(self, query: search.SearchQuery, cursor: str | None = None) -> int:
        return len(search.search(self.store, query, cursor).items)

    def query_for(self, query_class: str) -> search.SearchQuery | None:
        """A query of the class (None for the classes that are not a single search)."""
        pick = self.rng.choice
        if query_class == "popular tag":
            return search.SearchQuery(tags=(pick(self.popular_tags),))
        if query_class == "rare tag":
            return search.SearchQuery(tags=(pick(self.rare_tags),))
        if query_class == "popular tag x rare colour":
            return search.SearchQuery(tags=(pick(self.popular_tags),), colour=pick(RARE_COLOURS))
        if query_class == "two popular tags":
            return search.SearchQuery(tags=tuple(sorted(self.rng.sample(self.popular_tags, 2))))
        if query_class.startswith("text"):
            return self._text_query(colour=query_class == "text + colour")
        if query_class == "orientation + tag":
            names, weights = list(ORIENTATION_WEIGHTS), list(ORIENTATION_WEIGHTS.values())
            orientation = self.rng.choices(names, weights=weights)[0]
            return search.SearchQuery(tags=(pick(self.popular_tags),), orientation=orientation)
        return None

    def _text_query(self, colour: bool) -> search.SearchQuery:
        """Words a buyer would type about a real image: 1-3 words of its title, as typed
        (the last word is a prefix), sorted by relevance; with colour, one of its colours."""
        image = self.table.image_item(self.rng.randrange(self.table.catalogue.size))
        typed = text.tokens(str(image["title"]))
        start = self.rng.randrange(len(typed))
        q = " ".join(typed[start : start + self.rng.randint(1, 3)])
        words, prefix = search.parse_text(q)
        chosen = self.rng.choice(image["colours"][: terms.DOMINANT_COLOURS]) if colour else None
        return search.SearchQuery(words=words, prefix=prefix, colour=chosen, sort="relevance")

    def run_class(self, query_class: str, queries: int) -> list[Page]:
        pages = []
        for _ in range(queries):
            query = self.query_for(query_class)
            if query is not None:
                pages.append(self.measure(query_class, partial(self.searched, query)))
            elif query_class == "similar":
                n = self.rng.randrange(self.table.catalogue.size)
                image_id = self.table.catalogue.image_id(n)
                pages.append(self.measure(query_class, partial(self._similar, image_id)))
            else:
                pages.append(self._deep_page(query_class))
        return pages

    def _similar(self, image_id: str) -> int:
        return len(similar.similar_images(self.store, image_id, SIMILAR_LIMIT) or [])

    def _deep_page(self, query_class: str) -> Page:
        query = search.SearchQuery(tags=(self.rng.choice(self.popular_tags),))
        cursor = None
        for _ in range(DEEP_PAGE - 1):
            cursor = search.search(self.store, query, cursor).cursor
        return self.measure(query_class, partial(self.searched, query, cursor))


def summarise(query_class: str, pages: list[Page]) -> Row:
    ratios = sorted(p.ratio for p in pages)
    requests = sorted(p.requests for p in pages)
    return Row(
        query_class, len(pages), statistics.fmean(p.returned for p in pages),
        _percentile(ratios, 50), _percentile(ratios, 95), ratios[-1],
        _percentile(requests, 50), _percentile(requests, 95), requests[-1],
        statistics.fmean(p.read_units for p in pages),
    )  # fmt: skip


def _percentile(values: list[Any], percent: int) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(values) * percent // 100))
    return float(values[rank - 1])


def write_cost(table: ModelTable, sample: int) -> dict[str, float]:
    """Index writes and bytes per published image, over the first ``sample`` images."""
    puts, entry_bytes, index_bytes, transaction = [], [], [], []
    for n in range(min(sample, table.catalogue.size)):
        image = table.image_item(n)
        found = entries.entry_items(image)
        puts.append(len(found))
        sizes = [item_size(i) for i in found.values()]
        entry_bytes.append(sum(sizes))
        # each entry is stored in the table and once per index that keys it
        index_bytes.append(sum(s * (1 + sum(f"{g}pk" in i for g in ("gsi1", "gsi2", "gsi3")))
                               for s, i in zip(sizes, found.values(), strict=True)))  # fmt: skip
        transaction.append(2 + 1 + len(image["terms"]))
    write_units = [
        sum(-(-item_size(i) // 1024) * (1 + sum(f"{g}pk" in i for g in ("gsi1", "gsi2", "gsi3")))
            for i in entries.entry_items(table.image_item(n)).values())
        for n in range(min(sample // 10 or 1, table.catalogue.size))
    ]  # fmt: skip
    return {
        "entries_per_image": statistics.fmean(puts),
        "entries_per_image_max": max(puts),
        "transaction_items_per_image": statistics.fmean(transaction),
        "entry_bytes_per_image": statistics.fmean(entry_bytes),
        "stored_bytes_per_image": statistics.fmean(index_bytes),
        "entry_write_units_per_image": statistics.fmean(write_units),
    }


def table_text(rows: list[Row], images: int, writes: dict[str, float], seconds: float) -> str:
    header = (
        f"{'query class':<30} {'pages':>5} {'returned':>8} {'read/returned p50':>17} "
        f"{'p95':>5} {'max':>6} {'requests p50':>12} {'p95':>4} {'max':>4} {'RRU':>5}  target"
    )
    lines = [f"Search benchmark: {images:,} images, {seconds:.0f} s", header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r.query_class:<30} {r.pages:>5} {r.returned_mean:>8.1f} {r.ratio_p50:>17.2f} "
            f"{r.ratio_p95:>5.2f} {r.ratio_max:>6.2f} {r.requests_p50:>12.0f} "
            f"{r.requests_p95:>4.0f} {r.requests_max:>4} {r.read_units_mean:>5.1f}  "
            f"{'met' if r.meets_targets else 'MISSED'}"
        )
    lines.append(
        f"Targets: p95 items read <= {TARGET_READ_RATIO:g} x items returned, p95 requests <= "
        f"{TARGET_REQUESTS} per page. Index per published image: "
        f"{writes['entries_per_image']:.0f} entries (max {writes['entries_per_image_max']}), "
        f"{writes['entry_write_units_per_image']:.0f} write units with their index copies, "
        f"{writes['transaction_items_per_image']:.0f} transaction items (image, counters), "
        f"{writes['stored_bytes_per_image'] / 1024:.0f} KB stored with index copies."
    )
    return "\n".join(lines)


def run(images: int, queries: int, seed: int = 0, workers: int = 1) -> dict[str, Any]:
    started = time.monotonic()
    progress = _progress if images >= 100_000 else None
    table = ModelTable(Catalogue(images, seed), progress=progress, workers=workers)
    bench = Bench(table)
    rows = [summarise(c, bench.run_class(c, queries)) for c in CLASSES]
    writes = write_cost(table, 2000)
    seconds = time.monotonic() - started
    return {"images": images, "queries_per_class": queries, "seconds": seconds,
            "rows": [asdict(r) | {"meets_targets": r.meets_targets} for r in rows],
            "writes": writes, "table": table_text(rows, images, writes, seconds)}  # fmt: skip


def _progress(n: int) -> None:
    print(f"  indexed {n:,} images", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench search", description=__doc__)
    parser.add_argument("--images", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50, help="queries per class")
    parser.add_argument("--workers", type=int, default=2, help="processes building the index")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "search.json")
    args = parser.parse_args(argv)
    result = run(args.images, args.queries, workers=args.workers)
    print(result["table"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"written: {args.json}")
    return 0

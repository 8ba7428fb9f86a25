"""Catalog's public, read-only HTTP API: search images, similar images, one image, tags.

No auth: everything here is public. Responses carry Cache-Control so CloudFront and
browsers absorb repeated searches; lists change with every purchase, so they are cached
briefly, single images and tags longer.
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.catalog import listing, search, similar
from services.catalog.cursor import InvalidCursor
from services.catalog.models import (
    ErrorMessage,
    ImageDetail,
    ImagePage,
    ImageSummary,
    SimilarList,
    TagCount,
    TagList,
)
from services.catalog.search import Sort
from services.catalog.store import CatalogStore
from services.catalog.terms import Orientation
from services.common.http import BadRequest, NotFound, register_error_handlers
from services.contracts.colours import COLOUR_NAMES

TABLE_NAME = os.environ["TABLE_NAME"]

LIST_CACHE = "public, max-age=30"
ITEM_CACHE = "public, max-age=300"
TAGS_CACHE = "public, max-age=300"
MAX_TAGS = 5
MAX_WORDS = 10
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,49}$")
CORRELATION_PATH = 'headers."x-correlation-id" || requestContext.requestId'


def _responses(cache_control: str, *errors: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI responses: 200 (the return type) with its Cache-Control, plus error bodies."""
    described = {400: "Bad query or path parameter", 404: "No such published image"}
    error_body: dict[str, Any] = {"application/json": {"model": ErrorMessage}}
    header: dict[str, Any] = {"Cache-Control": {"schema": {"type": "string"}}}
    responses: dict[int, OpenAPIResponse] = {
        200: {"description": f"OK (Cache-Control: {cache_control})", "headers": header},
    }
    for code in errors:
        responses[code] = {"description": described[code], "content": error_body}
    return responses


logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)
register_error_handlers(app)
store = CatalogStore(boto3.resource("dynamodb").Table(TABLE_NAME))


@app.get(
    "/images",
    summary="Search published images",
    tags=["images"],
    responses=_responses(LIST_CACHE, 400),
)
def search_images(
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words matched in titles, tags and labels (case, accents and plurals "
            "ignored; the last word is a prefix unless q ends with a space). "
            f"At most {MAX_WORDS} words.",
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        Query(description=f"Tags that must all match (up to {MAX_TAGS}); repeat or comma-join."),
    ] = None,
    colour: Annotated[
        str | None,
        Query(
            max_length=30,
            description="One of the image's three dominant colours: "
            + ", ".join(COLOUR_NAMES)
            + ".",
        ),
    ] = None,
    orientation: Annotated[
        Orientation | None, Query(description="landscape, portrait or square (within 5 %).")
    ] = None,
    min_width: Annotated[
        int | None, Query(alias="minWidth", ge=1, le=100_000, description="Pixels at least.")
    ] = None,
    min_height: Annotated[
        int | None, Query(alias="minHeight", ge=1, le=100_000, description="Pixels at least.")
    ] = None,
    sort: Annotated[
        Sort | None,
        Query(
            description="relevance (needs q; the default with q), popularity, or recent "
            "(newest first; the default without q)."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="The cursor of the previous page.")
    ] = None,
) -> Response[ImagePage]:
    words, prefix = search.parse_text(q or "")
    if len(words) + (prefix is not None) > MAX_WORDS:
        raise BadRequest(f"query.q: at most {MAX_WORDS} words")
    has_text = bool(words) or prefix is not None
    if sort == "relevance" and not has_text:
        raise BadRequest("query.sort: relevance needs q (words to be relevant to)")
    query = search.SearchQuery(
        words=words, prefix=prefix, tags=normalise_tags(tag or []),
        colour=normalise_colour(colour), orientation=orientation, min_width=min_width,
        min_height=min_height, sort=sort or ("relevance" if has_text else "recent"), limit=limit,
    )  # fmt: skip
    try:
        page = search.search(store, query, cursor or None)
    except InvalidCursor as error:
        raise BadRequest(f"query.cursor: {error}") from None
    metrics.add_metric(name="ImageSearches", unit=MetricUnit.Count, value=1)
    items = [ImageSummary(**item) for item in page.items]
    return _ok(ImagePage(items=items, cursor=page.cursor), LIST_CACHE)


@app.get(
    "/images/<id>/similar",
    summary="Images like this one: shared tags, closest palette first",
    tags=["images"],
    responses=_responses(LIST_CACHE, 400, 404),
)
def similar_images(
    id: Annotated[str, Path(min_length=1, max_length=128, description="Image id.")],
    limit: Annotated[int, Query(ge=1, le=50, description="How many images.")] = 12,
) -> Response[SimilarList]:
    found = similar.similar_images(store, id, limit)
    if found is None:
        raise NotFound(f"image {id} not found")
    metrics.add_metric(name="SimilarSearches", unit=MetricUnit.Count, value=1)
    return _ok(SimilarList(items=[ImageSummary(**item) for item in found]), LIST_CACHE)


@app.get(
    "/images/<id>",
    summary="One published image",
    tags=["images"],
    responses=_responses(ITEM_CACHE, 400, 404),
)
def get_image(
    id: Annotated[str, Path(min_length=1, max_length=128, description="Image id.")],
) -> Response[ImageDetail]:
    image = listing.published_image(store, id)
    if image is None:
        raise NotFound(f"image {id} not found")
    metrics.add_metric(name="ImageViews", unit=MetricUnit.Count, value=1)
    return _ok(ImageDetail(**image), ITEM_CACHE)


@app.get(
    "/tags", summary="The most used tags", tags=["tags"], responses=_responses(TAGS_CACHE, 400)
)
def most_used_tags(
    limit: Annotated[int, Query(ge=1, le=100, description="How many tags.")] = 20,
) -> Response[TagList]:
    metrics.add_metric(name="TagListings", unit=MetricUnit.Count, value=1)
    tags = [TagCount(tag=t, count=n) for t, n in listing.top_tags(store, limit)]
    return _ok(TagList(tags=tags), TAGS_CACHE)


def normalise_colour(colour: str | None) -> str | None:
    """Lowercase; a ``BadRequest`` naming ``query.colour`` unless it is a named colour."""
    colour = colour and colour.lower()
    if colour and colour not in COLOUR_NAMES:
        raise BadRequest(f"query.colour must be one of {', '.join(COLOUR_NAMES)}, got {colour!r}")
    return colour or None


def normalise_tags(values: list[str]) -> tuple[str, ...]:
    """Lowercase, unique, sorted; a ``BadRequest`` naming ``query.tag`` otherwise."""
    tags = sorted({value.strip().lower() for value in values})
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"query.tag: at most {MAX_TAGS} tags, got {len(tags)}")
    for tag in tags:
        if not TAG_PATTERN.match(tag):
            raise BadRequest(
                f"query.tag: {tag!r} is not a tag (letters, digits, space, '_' or '-')"
            )
    return tuple(tags)


def _ok(body: Any, cache_control: str) -> Response:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": cache_control},
    )


@logger.inject_lambda_context(correlation_id_path=CORRELATION_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)

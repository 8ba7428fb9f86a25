"""Buyers' HTTP API: create purchases (idempotently), list and read them, get download links.

Every route needs the JWT the API's authorizer checked; a buyer only ever sees their own
purchases (someone else's id is a 404, so ids do not leak). ``POST /purchases`` requires an
``Idempotency-Key`` header: the key and the purchase are written in one DynamoDB
transaction, so retries (even concurrent ones) return the one purchase, never two.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Literal

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from services.common import cursor as cursors
from services.common.http import (
    CORRELATION_HEADER,
    BadRequest,
    Conflict,
    DomainError,
    NotFound,
    caller_id,
    correlation_id,
    register_error_handlers,
)
from services.purchase import store
from services.purchase.model import (
    COMPLETED,
    WITHDRAWN,
    buyer_partition,
    new_purchase,
    purchase_view,
    utc_now,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

TABLE_NAME = os.environ.get("TABLE_NAME", "")
SIGNING_KEY_SECRET_ARN = os.environ.get("SIGNING_KEY_SECRET_ARN", "")
SIGNING_KEY_PAIR_ID = os.environ.get("SIGNING_KEY_PAIR_ID", "")
DELIVERY_CDN_DOMAIN = os.environ.get("DELIVERY_CDN_DOMAIN", "")
DOWNLOAD_URL_TTL_SECONDS = int(os.environ.get("DOWNLOAD_URL_TTL_SECONDS", "300"))
SIGNING_KEY_CACHE_SECONDS = 300
"""How long the private key is kept in memory before Secrets Manager is asked again."""

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_PAGE_SIZE = 100
IN_PROGRESS = f"a request with this {IDEMPOTENCY_HEADER} is being processed; retry shortly"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)
register_error_handlers(app)


@cache
def table() -> Any:
    """The purchase table, made on first use so the OpenAPI document needs no AWS settings."""
    return boto3.resource("dynamodb").Table(TABLE_NAME)


@cache
def secrets() -> SecretsProvider:
    # Imported here: only the download route needs it (cold start of the other routes).
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider()


class UnprocessableRequest(DomainError):
    """Well-formed but contradicting an earlier request (an idempotency key reused)."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


class PurchaseRequest(BaseModel):
    """Body of ``POST /purchases``."""

    model_config = ConfigDict(extra="forbid")
    imageId: str = Field(min_length=1, max_length=128, description="The image to buy.")


class PurchaseOut(BaseModel):
    """A purchase as its buyer sees it."""

    purchaseId: str
    imageId: str
    title: str
    priceCents: int = Field(description="Price snapshotted when the purchase was made (cents).")
    currency: str
    status: Literal["PENDING", "COMPLETED", "FAILED"]
    createdAt: str
    completedAt: str | None = None
    failedAt: str | None = None
    failureReason: str | None = None


class PurchasePage(BaseModel):
    items: list[PurchaseOut]
    nextCursor: str | None = Field(None, description="Pass as ?cursor= for the next page.")


class DownloadLink(BaseModel):
    url: str = Field(description="CloudFront signed URL of the licensed image.")
    expiresAt: str


class ErrorOut(BaseModel):
    message: str


def _errors(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI entries of the error responses a route can give (body ``{"message": ...}``)."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"model": ErrorOut}},
        }
        for status in statuses
    }


def correlate(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """Log with the caller's correlation id and echo it back, so a support ticket can quote it."""
    correlation = correlation_id(app)
    logger.set_correlation_id(correlation)
    response = next_middleware(app)
    response.headers[CORRELATION_HEADER] = correlation
    return response


app.use(middlewares=[correlate])


@app.post(
    "/purchases",
    summary="Buy an image",
    responses={
        200: {"description": "A replay: the purchase an earlier request with this key made."},
        201: {"description": "The purchase was recorded (PENDING); it completes shortly."},
        **_errors(400, 401, 404, 409, 422),
    },
)
def create_purchase(
    body: PurchaseRequest,
    idempotency_key: Annotated[
        str,
        Header(
            alias=IDEMPOTENCY_HEADER,
            min_length=1,
            max_length=255,
            description="Client-chosen unique key: retries with it return the same purchase.",
        ),
    ],
) -> Response[PurchaseOut]:
    buyer = caller_id(app)
    earlier = store.find_idempotency_key(table(), buyer, idempotency_key)
    if earlier:
        return _replay(earlier, body, idempotency_key)
    offer = offer_for_sale(body.imageId)
    purchase = new_purchase(
        str(uuid.uuid4()), buyer, offer, correlation_id(app), idempotency_key, utc_now()
    )
    try:
        store.insert_purchase(table(), purchase, idempotency_key)
    except store.IdempotencyKeyTaken:  # a concurrent retry won the key: answer as it did
        winner = store.find_idempotency_key(table(), buyer, idempotency_key)
        return _replay(winner, body, idempotency_key)
    except store.TransactionConflict as error:
        raise Conflict(IN_PROGRESS) from error
    logger.info("purchase recorded", purchase_id=purchase["purchaseId"], image_id=body.imageId)
    metrics.add_metric(name="PurchasesCreated", unit=MetricUnit.Count, value=1)
    return _purchase_response(purchase, HTTPStatus.CREATED)


def offer_for_sale(image_id: str) -> dict[str, Any]:
    """The image's offer from this service's read model; 404 if unknown, 409 if withdrawn."""
    offer = store.get_offer(table(), image_id)
    if offer is None:
        raise NotFound(f"image {image_id!r} is not for sale")
    if offer["status"] == WITHDRAWN:
        raise Conflict(f"image {image_id!r} has been withdrawn and is no longer for sale")
    return offer


def _replay(
    earlier: dict[str, Any] | None, body: PurchaseRequest, key: str
) -> Response[PurchaseOut]:
    """The earlier request's purchase, or 422 when the key was used for another image."""
    if earlier is None:  # the transaction that took the key also wrote it; defensive only
        raise Conflict(IN_PROGRESS)
    if earlier["imageId"] != body.imageId:
        raise UnprocessableRequest(
            f"{IDEMPOTENCY_HEADER} {key!r} was already used to buy image {earlier['imageId']!r}; "
            "use a new key for a different request"
        )
    purchase = store.get_purchase(table(), earlier["purchaseId"])
    if purchase is None:
        raise Conflict(IN_PROGRESS)
    metrics.add_metric(name="PurchaseReplays", unit=MetricUnit.Count, value=1)
    return _purchase_response(purchase, HTTPStatus.OK, replayed=True)


def _purchase_response(
    purchase: dict[str, Any], status: HTTPStatus, replayed: bool = False
) -> Response[PurchaseOut]:
    headers = {"Location": f"/purchases/{purchase['purchaseId']}"}
    if replayed:
        headers[REPLAYED_HEADER] = "true"
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=purchase_view(purchase),  # type: ignore[arg-type]  # the view is PurchaseOut's shape
        headers=headers,
    )


@app.get(
    "/purchases",
    summary="My purchases, newest first",
    responses={200: {"description": "A page of purchases."}, **_errors(400, 401)},
)
def list_purchases(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description="From nextCursor.")] = None,
) -> PurchasePage:
    partition = buyer_partition(caller_id(app))
    start = decode_cursor(cursor, partition) if cursor else None
    items, last = store.list_purchases(table(), partition, limit, start)
    return PurchasePage(
        items=[PurchaseOut(**purchase_view(i)) for i in items],
        nextCursor=encode_cursor(last) if last else None,
    )


def encode_cursor(last_key: dict[str, str]) -> str:
    """An opaque cursor: the page's last index key, valid only in its buyer's list."""
    return cursors.encode({"k": last_key}, scope=last_key["gsi1pk"])


def decode_cursor(cursor: str, partition: str) -> dict[str, str]:
    """The index key a cursor carries; 400 unless it is a cursor of this buyer's list."""
    fields, fixed = {"pk", "sk", "gsi1pk", "gsi1sk"}, {"gsi1pk": partition}
    try:
        return cursors.start_key(cursors.decode(cursor, scope=partition), fields, fixed)
    except cursors.InvalidCursor as error:
        raise BadRequest(f"query.cursor: {error}") from None


def own_purchase(purchase_id: str) -> dict[str, Any]:
    """The caller's purchase, or 404 (also for other buyers' purchases, so ids do not leak)."""
    purchase = store.get_purchase(table(), purchase_id)
    if purchase is None or purchase["buyerId"] != caller_id(app):
        raise NotFound(f"purchase {purchase_id!r} not found")
    return purchase


PurchaseId = Annotated[str, Path(alias="id", min_length=1, max_length=128)]


@app.get(
    "/purchases/<id>",
    summary="One of my purchases",
    responses={200: {"description": "The purchase."}, **_errors(400, 401, 404)},
)
def get_purchase(purchase_id: PurchaseId) -> PurchaseOut:
    return PurchaseOut(**purchase_view(own_purchase(purchase_id)))


@app.get(
    "/purchases/<id>/download",
    summary="A short-lived signed link to the licensed image",
    cache_control="no-store",
    responses={
        200: {"description": "The link, valid until expiresAt."},
        **_errors(400, 401, 404, 409),
    },
)
def download(purchase_id: PurchaseId) -> DownloadLink:
    # Imported here: cryptography is needed by this route only (cold start of the others).
    from services.purchase.signing import delivery_url, sign_url

    purchase = own_purchase(purchase_id)
    if purchase["status"] != COMPLETED:
        raise Conflict(
            f"purchase {purchase_id!r} is {purchase['status']}; "
            f"the download is available once it is {COMPLETED}"
        )
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=DOWNLOAD_URL_TTL_SECONDS)
    url = delivery_url(DELIVERY_CDN_DOMAIN, purchase["licensedKey"])
    signed = sign_url(url, SIGNING_KEY_PAIR_ID, signing_key_pem(), expires)
    logger.info("download link issued", purchase_id=purchase_id, expires_at=expires.isoformat())
    metrics.add_metric(name="DownloadLinksIssued", unit=MetricUnit.Count, value=1)
    return DownloadLink(url=signed, expiresAt=expires.isoformat().replace("+00:00", "Z"))


def signing_key_pem() -> str:
    """The CloudFront signing key (PEM) from Secrets Manager, cached in memory for minutes."""
    return str(secrets().get(SIGNING_KEY_SECRET_ARN, max_age=SIGNING_KEY_CACHE_SECONDS))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

"""Request and response bodies of the upload API (pydantic: validation and the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, field_validator

Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")]
Currency = Literal["EUR", "USD", "GBP", "CHF", "CAD", "AUD"]
ContentType = Literal["image/jpeg", "image/png", "image/webp"]
Status = Literal["PENDING", "IN_REVIEW", "PUBLISHED", "REJECTED", "WITHDRAWN"]
"""IN_REVIEW: waiting for an admin (``reviewReason`` says why); renditions made, not public."""
Sentence = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]


class CreateUpload(BaseModel):
    """What a photographer declares before uploading the original."""

    model_config = ConfigDict(extra="ignore")

    title: Title
    tags: Annotated[
        list[Tag],
        Field(
            min_length=1,
            max_length=20,
            description="1 to 20 lowercase tags: letters, digits, hyphens (duplicates dropped).",
        ),
    ]
    priceCents: Annotated[StrictInt, Field(ge=50, le=1_000_000)]
    currency: Currency
    contentType: ContentType
    sizeBytes: Annotated[
        StrictInt,
        Field(ge=1, description="Size of the file to upload; at most the service's upload limit."),
    ]

    @field_validator("tags")
    @classmethod
    def _drop_duplicate_tags(cls, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(tags))


class PresignedPost(BaseModel):
    """An S3 POST policy: send ``fields`` plus the file (as ``file``, last) to ``url``."""

    url: str
    fields: dict[str, str]


class CreatedUpload(BaseModel):
    uploadId: str
    upload: PresignedPost
    expiresAt: str


class Decision(BaseModel):
    """An admin's decision on an upload that was in review: what, when, why."""

    outcome: Literal["APPROVED", "REJECTED"]
    decidedAt: str
    reason: str | None = Field(
        default=None, description="Rejection reason (told to the photographer) or approval note."
    )


class AdminDecision(Decision):
    """The decision with who made it (admins only; photographers are not told who)."""

    decidedBy: str


class Upload(BaseModel):
    """The owner's view of an upload; the optional fields appear as processing fills them."""

    uploadId: str
    status: Status
    revision: int
    title: str
    tags: list[str]
    priceCents: int
    currency: str
    contentType: str
    sizeBytes: int
    createdAt: str
    updatedAt: str
    width: int | None = None
    height: int | None = None
    colours: list[str] | None = None
    palette: list[str] | None = None
    labels: list[str] | None = None
    thumbnailUrl: str | None = None
    previewUrl: str | None = None
    publishedAt: str | None = None
    reason: str | None = None
    rejectedAt: str | None = None
    withdrawnAt: str | None = None
    reviewReason: str | None = Field(
        default=None, description="Why the upload went to review (moderation or unavailable)."
    )
    inReviewAt: str | None = None
    decision: Decision | None = None


class UploadPage(BaseModel):
    items: list[Upload]
    nextCursor: str | None = Field(
        default=None, description="Pass as ``cursor`` for the next page; absent on the last page."
    )


class ModerationFinding(BaseModel):
    """One moderation label Rekognition reported (any category, blocking or not)."""

    name: str
    parentName: str | None = None
    confidence: float


class ReviewItem(BaseModel):
    """What an admin sees of an upload in (or decided from) review.

    While the upload waits in review, ``previewUrl`` and ``thumbnailUrl`` are presigned links to
    its private review copies, valid until ``linksExpireAt``, not the public CDN URLs. A
    decision or a withdrawal deletes the review copies: then the links are the record's own
    URLs (the public CDN's once approved, none if rejected) and ``linksExpireAt`` is absent.
    """

    uploadId: str
    status: Status
    revision: int
    photographerId: str
    title: str
    tags: list[str]
    priceCents: int
    currency: str
    createdAt: str
    inReviewAt: str
    reviewReason: str
    labels: list[str]
    moderationFindings: list[ModerationFinding]
    width: int | None = None
    height: int | None = None
    colours: list[str] | None = None
    previewUrl: str | None = None
    thumbnailUrl: str | None = None
    linksExpireAt: str | None = None
    decision: AdminDecision | None = None
    reason: str | None = None


class ReviewPage(BaseModel):
    items: list[ReviewItem] = Field(description="Uploads waiting in review, oldest first.")
    nextCursor: str | None = Field(
        default=None, description="Pass as ``cursor`` for the next page; absent on the last page."
    )


class ApproveReview(BaseModel):
    """Approve: publish the upload. An optional note is kept with the decision."""

    model_config = ConfigDict(extra="ignore")

    note: Sentence | None = None


class RejectReview(BaseModel):
    """Reject: the reason is recorded and told to the photographer (``image.rejected``)."""

    model_config = ConfigDict(extra="ignore")

    reason: Sentence

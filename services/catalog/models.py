"""Response shapes of the catalog API (also the schemas of its OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImageSummary(BaseModel):
    """An image as listings show it."""

    imageId: str
    title: str
    tags: list[str]
    colours: list[str] = Field(description="Named colours, most dominant first.")
    palette: list[str] = Field(description="Dominant colours as #rrggbb, most dominant first.")
    priceCents: int
    currency: str
    width: int
    height: int
    thumbnailUrl: str
    previewUrl: str = Field(description="Watermarked preview.")
    publishedAt: str
    popularity: int = Field(description="Completed purchases.")


class ImageDetail(ImageSummary):
    labels: list[str] = Field(default_factory=list, description="Detected labels.")


class ImagePage(BaseModel):
    items: list[ImageSummary]
    cursor: str | None = Field(
        default=None, description="Pass as ?cursor= for the next page; null on the last page."
    )


class SimilarList(BaseModel):
    items: list[ImageSummary] = Field(description="Most similar first.")


class TagCount(BaseModel):
    tag: str
    count: int = Field(description="Published images with this tag.")


class TagList(BaseModel):
    tags: list[TagCount]


class ErrorMessage(BaseModel):
    """Body of every 4xx: what is wrong, naming the parameter (e.g. ``query.limit: ...``)."""

    message: str

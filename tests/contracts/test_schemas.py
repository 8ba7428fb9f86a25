from __future__ import annotations

import time

import pytest

from services.contracts import schemas
from services.contracts.catalogue import EVENT_TYPES
from services.contracts.schemas import SchemaViolation


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_schema_file_exists_for_every_catalogue_type(event_type: str) -> None:
    # GIVEN an event type of the catalogue
    # WHEN its schema is loaded
    schema = schemas.load_schema(event_type)
    # THEN it is a draft-07 object schema named after the type that tolerates unknown fields
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["title"] == event_type
    assert schema["type"] == "object"
    assert schema.get("additionalProperties", True) is True


@pytest.mark.parametrize("name", schemas.schema_names())
def test_schema_examples_validate(name: str) -> None:
    # GIVEN the examples shipped with a schema
    examples = schemas.examples(name)
    # THEN there is at least one and each one validates
    assert examples, f"{name}.json has no examples"
    for example in examples:
        assert schemas.validate(name, example) == example


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_schema_required_fields_are_declared_properties(event_type: str) -> None:
    # GIVEN a schema
    schema = schemas.load_schema(event_type)
    # THEN every required field is described and every example has every required field
    assert set(schema["required"]) <= set(schema["properties"])
    for example in schema["examples"]:
        assert set(schema["required"]) <= set(example)


def test_validate_names_failing_field() -> None:
    # GIVEN an image.published example with a string price
    data = {**schemas.examples("image.published")[0], "priceCents": "15.00"}
    # WHEN it is validated
    with pytest.raises(SchemaViolation) as raised:
        schemas.validate("image.published", data)
    # THEN the error names the field and the rule
    assert raised.value.field == "data.priceCents"
    assert str(raised.value) == "data.priceCents must be integer"


def test_validate_names_missing_field() -> None:
    # GIVEN purchase.completed data without buyerId
    data = schemas.examples("purchase.completed")[0]
    del data["buyerId"]
    # WHEN it is validated
    with pytest.raises(SchemaViolation) as raised:
        schemas.validate("purchase.completed", data)
    # THEN the missing field itself is named
    assert raised.value.field == "data.buyerId"
    assert str(raised.value) == "data.buyerId is required"


def test_validate_rejects_uppercase_tag() -> None:
    # GIVEN a tag that is not lowercase
    data = {**schemas.examples("image.published")[0], "tags": ["lake", "Kayak"]}
    # WHEN / THEN validation names the item
    with pytest.raises(SchemaViolation, match=r"data\.tags\[1\] must match pattern"):
        schemas.validate("image.published", data)


def test_load_schema_unknown_type_raises_key_error() -> None:
    # WHEN an unknown schema is asked for / THEN the error lists the known ones
    with pytest.raises(KeyError, match=r"image\.published"):
        schemas.load_schema("image.deleted")


def test_load_schema_returns_copy() -> None:
    # GIVEN a caller that mutates the loaded schema
    schemas.load_schema("image.rejected")["required"].clear()
    # THEN validation still uses the pristine schema
    with pytest.raises(SchemaViolation):
        schemas.validate("image.rejected", {})


def test_validator_is_compiled_once() -> None:
    # GIVEN a warmed-up validator
    example = schemas.examples("image.published")[0]
    schemas.validate("image.published", example)
    # WHEN validating a thousand times
    started = time.perf_counter()
    for _ in range(1000):
        schemas.validate("image.published", example)
    # THEN it is the same cached function and fast (compiling costs milliseconds per call)
    assert schemas.validator("image.published") is schemas.validator("image.published")
    assert time.perf_counter() - started < 0.5

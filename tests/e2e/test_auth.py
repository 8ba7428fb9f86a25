"""The HTTP APIs' JWT authorizer: signature, issuer, audience and expiry, as API Gateway."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import jwt
import moto
import pytest

from local.demo.client import Marketplace, User
from local.keys import new_rsa_key

pytestmark = pytest.mark.e2e

MOTO_KEYS = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"


def emulator_signing_key() -> Any:
    """The private key moto's Cognito signs with (its JWKS publishes the public half)."""
    jwk = json.loads(gzip.decompress(MOTO_KEYS.read_bytes()))
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))


def forged(claims: dict[str, Any], key: Any = None) -> str:
    return jwt.encode(
        claims, key or emulator_signing_key(), algorithm="RS256", headers={"kid": "dummy"}
    )


@pytest.fixture(scope="module")
def valid_claims(market: Marketplace) -> dict[str, Any]:
    identity = market.env.graph.identity  # type: ignore[union-attr]
    now = int(time.time())
    return {
        "iss": identity["issuer"],
        "aud": identity["client_id"],
        "sub": "forged-sub",
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
    }


def get_uploads(market: Marketplace, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return market.call("GET", "upload", "/uploads", headers=headers).status_code


def test_api_accepts_id_and_access_tokens_of_the_pool(market: Marketplace) -> None:
    # GIVEN a user signed in to the local Cognito pool
    tokens = market.env.user("auth-user")
    # WHEN it calls an authenticated route with its id token, then its access token
    statuses = [
        get_uploads(market, tokens["id_token"]),
        get_uploads(market, tokens["access_token"]),
    ]
    # THEN both pass the authorizer (the access token's audience is its client_id)
    assert statuses == [200, 200]


def test_api_without_token_is_401_with_api_gateway_body(market: Marketplace) -> None:
    # GIVEN no Authorization header
    # WHEN an authenticated route is called
    response = market.call("GET", "purchase", "/purchases")
    # THEN API Gateway's answer comes back, the function never runs
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize(
    ("case", "change"),
    [
        ("expired", {"exp": int(time.time()) - 5}),
        ("wrong audience", {"aud": "someone-elses-client"}),
        ("wrong issuer", {"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other"}),
    ],
)
def test_api_refuses_token_failing_a_check(
    market: Marketplace, valid_claims: dict[str, Any], case: str, change: dict[str, Any]
) -> None:
    # GIVEN a token signed by the pool's key but failing one check
    token = forged({**valid_claims, **change})
    # WHEN it is presented
    status = get_uploads(market, token)
    # THEN the authorizer refuses it (while the unmodified claims pass)
    assert status == 401, case
    assert get_uploads(market, forged(valid_claims)) == 200


def test_api_refuses_token_signed_by_another_key(
    market: Marketplace, valid_claims: dict[str, Any]
) -> None:
    # GIVEN valid claims signed with a key that is not in the pool's JWKS
    other_key = new_rsa_key()
    # WHEN the token is presented
    status = get_uploads(market, forged(valid_claims, other_key))
    # THEN it is refused
    assert status == 401


def test_public_api_needs_no_token(market: Marketplace) -> None:
    # GIVEN the catalog's routes (authorization NONE)
    # WHEN called anonymously
    response = market.call("GET", "catalog", "/tags")
    # THEN they answer
    assert response.status_code == 200


def test_unknown_route_is_404_like_api_gateway(market: Marketplace) -> None:
    # GIVEN a path no route declares
    response = market.call("GET", "catalog", "/nope", user=User("x", "y"))
    # THEN API Gateway's not-found answer
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}

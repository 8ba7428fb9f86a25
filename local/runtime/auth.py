"""The HTTP API's JWT authorizer, checked the way API Gateway checks it.

API Gateway's JWT authorizer takes the token from ``Authorization`` (with or without
``Bearer``), verifies its signature against the issuer's JWKS, and checks ``iss``, ``exp``
(and ``nbf``), and that ``aud`` - or, for Cognito access tokens, ``client_id`` - is one of
the configured audiences. Any failure is a 401 ``{"message":"Unauthorized"}`` before the
function is ever invoked. The JWKS comes from the emulator's Cognito pool.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jwt

JWKS_CACHE_SECONDS = 300.0
CLOCK_SKEW_SECONDS = 0


class Unauthorized(Exception):
    """The request must be answered 401; the message says why (logged, never returned)."""


def fetch_jwks(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """The key set at ``url`` (the emulator serves Cognito's ``/.well-known/jwks.json``)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # loopback
        return json.loads(response.read())


class JwtVerifier:
    """Verifies bearer tokens for one authorizer (issuer + audiences) against a JWKS."""

    def __init__(
        self,
        issuer: str,
        audiences: Sequence[str],
        jwks: Callable[[], Mapping[str, Any]],
        clock: Callable[[], float] = time.time,
    ):
        self.issuer = issuer
        self.audiences = set(audiences)
        self._jwks = jwks
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The token's claims; raises ``Unauthorized`` naming the failed check."""
        token = bearer_token(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthorized(f"malformed token: {error}") from error
        key = self._key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
                leeway=CLOCK_SKEW_SECONDS,
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(f"{type(error).__name__}: {error}") from error
        self._check_audience(claims)
        return claims

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        audience = claims.get("aud", claims.get("client_id"))
        values = audience if isinstance(audience, list) else [audience]
        if not self.audiences.intersection(v for v in values if isinstance(v, str)):
            raise Unauthorized(f"audience {audience!r} is not one of {sorted(self.audiences)}")

    def _key(self, kid: str | None) -> Any:
        with self._lock:
            stale = self._clock() - self._loaded_at > JWKS_CACHE_SECONDS
            if stale or kid not in self._keys:
                self._keys = _parse_jwks(self._jwks())
                self._loaded_at = self._clock()
            if kid not in self._keys:
                raise Unauthorized(f"no key {kid!r} in the issuer's JWKS")
            return self._keys[kid]


def bearer_token(authorization: str | None) -> str:
    """API Gateway accepts the raw token or ``Bearer <token>`` in the identity source."""
    if not authorization or not authorization.strip():
        raise Unauthorized("no Authorization header")
    value = authorization.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    if not value:
        raise Unauthorized("empty bearer token")
    return value


def _parse_jwks(document: Mapping[str, Any]) -> dict[str, Any]:
    keys = {}
    for entry in document.get("keys", []):
        keys[entry.get("kid")] = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(entry))
    return keys

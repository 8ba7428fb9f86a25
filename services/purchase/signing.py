"""CloudFront signed URLs (canned policy) for licensed downloads, and their verification.

Purchase never reads the upload service's delivery bucket: it signs a URL for the delivery
distribution with its own private key, whose public half is in the distribution's key group
(the claim-check pattern). CloudFront requires RSA with SHA-1 over the canned policy.
``verify_signed_url`` is what CloudFront does on its side; the tests and the local CDN
emulator use it so that tampered, expired or re-targeted URLs are refused the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from botocore.signers import CloudFrontSigner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNING_PARAMS = ("Expires", "Signature", "Key-Pair-Id")
_CLOUDFRONT_TO_B64 = str.maketrans({"-": "+", "_": "=", "~": "/"})


class InvalidSignedUrl(ValueError):
    """The URL would be refused by CloudFront; the message says why."""


def delivery_url(cdn_domain: str, object_key: str) -> str:
    """The unsigned ``https://<cdn_domain>/<key>`` URL of ``object_key`` on the delivery CDN.

    A domain given with its scheme is kept: the local environment's CDN speaks plain HTTP on
    loopback, and a link must open as it is handed out (local/runtime/cdn.py).
    """
    base = cdn_domain if "://" in cdn_domain else f"https://{cdn_domain}"
    return f"{base.rstrip('/')}/{quote(object_key.lstrip('/'), safe='/')}"


@lru_cache(maxsize=4)
def load_private_key(private_key_pem: str) -> rsa.RSAPrivateKey:
    """Parse a PEM RSA private key once per PEM (parsing costs more than signing)."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA private key (CloudFront requirement)")
    return key


def sign_url(url: str, key_pair_id: str, private_key_pem: str, expires_at: datetime) -> str:
    """``url`` signed with a canned policy valid until ``expires_at`` (RSA-SHA1)."""
    key = load_private_key(private_key_pem)

    def rsa_signer(message: bytes) -> bytes:
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # SHA-1: CloudFront requires it

    return CloudFrontSigner(key_pair_id, rsa_signer).generate_presigned_url(
        url, date_less_than=expires_at
    )


def canned_policy(resource: str, expires: int) -> bytes:
    """The canned policy CloudFront signs and checks (compact JSON, fixed key order)."""
    statement = {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}
    return json.dumps({"Statement": [statement]}, separators=(",", ":")).encode()


def verify_signed_url(
    url: str, public_key_pem: str, now: datetime, key_pair_id: str | None = None
) -> str:
    """Check ``url`` as CloudFront would; return the unsigned resource URL or raise.

    Raises ``InvalidSignedUrl`` when a signing parameter is missing, the key pair differs
    from ``key_pair_id`` (when given), the URL has expired at ``now``, or the signature does
    not match the resource (tampered query, expiry, host or path).
    """
    resource, params = _split_signed_url(url)
    if key_pair_id is not None and params["Key-Pair-Id"] != key_pair_id:
        raise InvalidSignedUrl(f"unknown Key-Pair-Id {params['Key-Pair-Id']!r}")
    expires = _parse_expires(params["Expires"])
    if now.astimezone(UTC).timestamp() >= expires:
        raise InvalidSignedUrl(f"the URL expired at {datetime.fromtimestamp(expires, UTC)}")
    _check_signature(canned_policy(resource, expires), params["Signature"], public_key_pem)
    return resource


def _split_signed_url(url: str) -> tuple[str, dict[str, str]]:
    """The resource URL (other query parameters kept, in order) and the signing parameters."""
    parts = urlsplit(url)
    kept, params = [], {}
    for segment in parts.query.split("&") if parts.query else []:
        name, _, value = segment.partition("=")
        if name in SIGNING_PARAMS:
            params[name] = unquote(value)
        else:
            kept.append(segment)  # raw, so the resource is byte-for-byte what was signed
    missing = [name for name in SIGNING_PARAMS if name not in params]
    if missing:
        raise InvalidSignedUrl(f"missing signing parameter(s): {', '.join(missing)}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), "")), params


def _parse_expires(value: str) -> int:
    if not value.isdigit():
        raise InvalidSignedUrl(f"Expires must be an epoch time in seconds, got {value!r}")
    return int(value)


def _check_signature(policy: bytes, signature: str, public_key_pem: str) -> None:
    try:
        raw = base64.b64decode(signature.translate(_CLOUDFRONT_TO_B64), validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidSignedUrl("Signature is not CloudFront-safe base64") from error
    key = serialization.load_pem_public_key(public_key_pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the verification key must be an RSA public key")
    try:
        key.verify(raw, policy, padding.PKCS1v15(), hashes.SHA1())  # SHA-1: CloudFront requires it
    except InvalidSignature as error:
        raise InvalidSignedUrl("the signature does not match the URL and expiry") from error

"""CloudFront signed URLs: what the purchase API signs, the CDN (and its emulator) accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.keys import new_rsa_key, public_pem
from services.purchase.signing import InvalidSignedUrl, delivery_url, sign_url, verify_signed_url

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=5)
URL = "https://delivery.example.com/licensed/p-1/img-1.jpg"
KEY_PAIR_ID = "K2TESTKEYPAIR"


@pytest.fixture
def signed(rsa_key: tuple[str, str]) -> str:
    return sign_url(URL, KEY_PAIR_ID, rsa_key[0], EXPIRES)


def test_signed_url_verifies_with_the_public_key(signed: str, rsa_key: tuple[str, str]) -> None:
    # GIVEN a URL signed with the private key
    # WHEN it is verified before it expires
    resource = verify_signed_url(signed, rsa_key[1], now=NOW, key_pair_id=KEY_PAIR_ID)

    # THEN it is valid for the resource, with CloudFront's canned-policy parameters
    assert resource == URL
    assert f"Expires={int(EXPIRES.timestamp())}" in signed
    assert f"Key-Pair-Id={KEY_PAIR_ID}" in signed


def test_signed_url_expired_is_refused(signed: str, rsa_key: tuple[str, str]) -> None:
    # GIVEN / WHEN the URL is used at its expiry time
    # THEN it is refused as expired
    with pytest.raises(InvalidSignedUrl, match="expired"):
        verify_signed_url(signed, rsa_key[1], now=EXPIRES)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/licensed/p-1/img-1.jpg", "/licensed/p-1/img-2.jpg"),  # another object
        ("delivery.example.com", "other.example.com"),  # another distribution
        (f"Expires={int(EXPIRES.timestamp())}", f"Expires={int(EXPIRES.timestamp()) + 3600}"),
    ],
)
def test_signed_url_tampered_is_refused(
    signed: str, rsa_key: tuple[str, str], old: str, new: str
) -> None:
    # GIVEN a signed URL with its path, host or expiry changed
    tampered = signed.replace(old, new)
    assert tampered != signed

    # WHEN / THEN it no longer verifies
    with pytest.raises(InvalidSignedUrl, match="signature"):
        verify_signed_url(tampered, rsa_key[1], now=NOW)


def test_signed_url_with_altered_signature_is_refused(
    signed: str, rsa_key: tuple[str, str]
) -> None:
    # GIVEN a signature with one character changed
    head, signature_and_rest = signed.split("Signature=")
    signature, rest = signature_and_rest.split("&", 1)
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    tampered = f"{head}Signature={flipped}&{rest}"

    # WHEN / THEN it does not verify
    with pytest.raises(InvalidSignedUrl):
        verify_signed_url(tampered, rsa_key[1], now=NOW)


def test_signed_url_from_another_key_is_refused(signed: str) -> None:
    # GIVEN the public key of some other key pair
    other_pem = public_pem(new_rsa_key())

    # WHEN / THEN the URL does not verify with it
    with pytest.raises(InvalidSignedUrl, match="signature"):
        verify_signed_url(signed, other_pem, now=NOW)


def test_signed_url_with_unknown_key_pair_id_is_refused(
    signed: str, rsa_key: tuple[str, str]
) -> None:
    # GIVEN / WHEN the distribution expects another key pair id
    # THEN the URL is refused
    with pytest.raises(InvalidSignedUrl, match="Key-Pair-Id"):
        verify_signed_url(signed, rsa_key[1], now=NOW, key_pair_id="K-OTHER")


def test_unsigned_url_is_refused(rsa_key: tuple[str, str]) -> None:
    # GIVEN / WHEN a URL without signing parameters
    # THEN it is refused, naming what is missing
    with pytest.raises(InvalidSignedUrl, match="Signature"):
        verify_signed_url(URL + "?Expires=1", rsa_key[1], now=NOW)


def test_signed_url_keeps_other_query_parameters_in_the_resource(
    rsa_key: tuple[str, str],
) -> None:
    # GIVEN a URL that already has a query string
    url = URL + "?response-content-disposition=attachment"
    signed = sign_url(url, KEY_PAIR_ID, rsa_key[0], EXPIRES)

    # WHEN it is verified
    resource = verify_signed_url(signed, rsa_key[1], now=NOW)

    # THEN the resource includes that query, and removing it breaks the signature
    assert resource == url
    with pytest.raises(InvalidSignedUrl):
        verify_signed_url(
            signed.replace("response-content-disposition=attachment&", ""), rsa_key[1], now=NOW
        )


def test_delivery_url_quotes_the_object_key() -> None:
    # GIVEN / WHEN a key with a space
    # THEN the URL path is percent-encoded, slashes kept
    assert delivery_url("cdn.example.com", "licensed/a b.jpg") == (
        "https://cdn.example.com/licensed/a%20b.jpg"
    )


def test_delivery_url_keeps_a_scheme_given_with_the_domain() -> None:
    # GIVEN the local environment's delivery CDN, plain HTTP under a path (a bare domain: https)
    # WHEN a link is built for it
    url = delivery_url("http://127.0.0.1:4001/delivery", "licensed/a.jpg")
    # THEN it is the URL the local CDN serves, scheme and path kept
    assert url == "http://127.0.0.1:4001/delivery/licensed/a.jpg"

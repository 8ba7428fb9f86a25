"""The shared helpers of local/: RSA keys as PEM (keys.py) and made-up identifiers (made_up.py)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local import made_up
from local.keys import RSA_KEY_SIZE, generate_signing_key, new_rsa_key, private_pem, public_pem


def test_signing_key_pems_are_one_key_pair_cloudfront_accepts() -> None:
    # GIVEN a generated signing key
    signing = generate_signing_key("k1")
    # WHEN its PEMs are loaded back
    private = serialization.load_pem_private_key(signing.private_key_pem.encode(), None)
    public = serialization.load_pem_public_key(signing.public_key_pem.encode())
    # THEN they are an RSA-2048 pair: the public PEM is the private key's public half
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == RSA_KEY_SIZE
    assert isinstance(public, rsa.RSAPublicKey)
    assert public_pem(private) == signing.public_key_pem
    assert signing.key_name == "k1"
    assert signing.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8


def test_public_pem_of_a_key_and_of_its_public_half_are_equal() -> None:
    key = new_rsa_key()
    assert public_pem(key) == public_pem(key.public_key())
    assert private_pem(key) != private_pem(new_rsa_key())


def test_short_id_is_stable_and_as_long_as_asked() -> None:
    first = made_up.short_id("123", "aws:sqs/queue:Queue", "q", length=10)
    assert first == made_up.short_id("123", "aws:sqs/queue:Queue", "q", length=10)
    assert len(first) == 10 and int(first, 16) >= 0
    assert first != made_up.short_id("123", "aws:sqs/queue:Queue", "other", length=10)


def test_made_up_arns_have_aws_shapes() -> None:
    assert made_up.function_arns("eu-west-1", "111", "f") == {
        "arn": "arn:aws:lambda:eu-west-1:111:function:f",
        "invokeArn": "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:111:function:f/invocations",
    }
    assert made_up.http_api_arns("eu-west-1", "111", "abc") == {
        "executionArn": "arn:aws:execute-api:eu-west-1:111:abc",
        "arn": "arn:aws:apigateway:eu-west-1::/apis/abc",
    }
    assert made_up.distribution_arn("111", made_up.distribution_id("ab")) == (
        "arn:aws:cloudfront::111:distribution/EAB"
    )
    assert made_up.bucket_arn("b") == "arn:aws:s3:::b"
    assert made_up.log_group_arn("eu-west-1", "111", "/aws/lambda/f") == (
        "arn:aws:logs:eu-west-1:111:log-group:/aws/lambda/f"
    )

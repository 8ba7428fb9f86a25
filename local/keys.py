"""RSA key pairs as PEM text: the CloudFront signing key of a local run, and the tests' keys.

One place turns a key into the PEM forms the platform stores: the private key as PKCS#8 (the
signing secret's content) and the public key as SubjectPublicKeyInfo (what a CloudFront
public key and a JWKS-verifying client hold).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

RSA_KEY_SIZE = 2048
"""The size CloudFront accepts for signed URLs (and Cognito uses for its tokens)."""
SIGNING_KEY_NAME = "local"


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 private key (about 50 ms: tests share one where they can)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """Unencrypted PKCS#8 PEM, as the signing secret holds it."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """SubjectPublicKeyInfo PEM of the key (or of a private key's public half)."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@dataclass(frozen=True)
class SigningKey:
    """A CloudFront signing key pair generated per local deployment (never committed)."""

    key_name: str
    private_key_pem: str
    public_key_pem: str


def generate_signing_key(key_name: str = SIGNING_KEY_NAME) -> SigningKey:
    """A new key pair named ``key_name`` (the config's ``cdnSigning.activeKey``)."""
    key = new_rsa_key()
    return SigningKey(key_name, private_pem(key), public_pem(key))

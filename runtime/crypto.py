"""Encryption at rest of medical and identifying data: AES-256-GCM column types.

The cipher is configured once per process (`configure`) from the service's data key.
"""

from __future__ import annotations

import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_FORMAT = b"\x01"
_cipher: AESGCM | None = None
_fingerprint_key: bytes | None = None


def configure(key: bytes) -> None:
    global _cipher, _fingerprint_key
    _cipher = AESGCM(key)
    _fingerprint_key = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"fse-fingerprint").derive(key)


def fingerprint(value: str) -> bytes:
    """Keyed digest (HMAC-SHA256) of a secret or identifier: comparable and indexable, not reversible."""
    if _fingerprint_key is None:
        raise RuntimeError("runtime.crypto.configure() was not called")
    return hmac.new(_fingerprint_key, value.encode(), "sha256").digest()


def _get() -> AESGCM:
    if _cipher is None:
        raise RuntimeError("runtime.crypto.configure() was not called")
    return _cipher


def encrypt(plain: bytes) -> bytes:
    nonce = os.urandom(12)
    return _FORMAT + nonce + _get().encrypt(nonce, plain, _FORMAT)


def decrypt(blob: bytes) -> bytes:
    if blob[:1] != _FORMAT:
        raise ValueError("unknown ciphertext format")
    return _get().decrypt(blob[1:13], blob[13:], _FORMAT)


class EncryptedBytes(TypeDecorator[bytes]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else encrypt(json.dumps(value, separators=(",", ":")).encode())

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(decrypt(value))


class EncryptedText(TypeDecorator[str]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else encrypt(value.encode())

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value).decode()

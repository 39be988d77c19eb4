"""Key material: from the environment in production, from files under the data directory in the
embedded default (created once by `ensure_dev_keys`)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

DATA_KEY_FILE = "keys/data.key"
AUTH_PRIVATE_KEY_FILE = "keys/auth_signing.pem"
AUTH_PUBLIC_KEY_FILE = "keys/auth_signing.pub.pem"


class MissingKeyError(RuntimeError):
    pass


def ensure_dev_keys(data_dir: Path) -> None:
    """Create the embedded default's keys once (0600), never overwriting existing ones."""
    (data_dir / "keys").mkdir(parents=True, exist_ok=True, mode=0o700)
    data_key = data_dir / DATA_KEY_FILE
    if not data_key.exists():
        _write_secret(data_key, base64.b64encode(os.urandom(32)))
    private = data_dir / AUTH_PRIVATE_KEY_FILE
    if not private.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_secret(private, pem)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (data_dir / AUTH_PUBLIC_KEY_FILE).write_bytes(public)


def _write_secret(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _from(value: SecretStr | None, data_dir: Path, name: str) -> bytes:
    if value is not None:
        return value.get_secret_value().encode()
    path = data_dir / name
    if not path.exists():
        raise MissingKeyError(f"{name}: not configured and no file at {path}")
    return path.read_bytes()


def data_key(value: SecretStr | None, data_dir: Path) -> bytes:
    key = base64.b64decode(_from(value, data_dir, DATA_KEY_FILE))
    if len(key) != 32:
        raise MissingKeyError("FSE_DATA_KEY: must be 32 bytes, base64-encoded")
    return key


def auth_public_key(value: SecretStr | None, data_dir: Path) -> bytes:
    return _from(value, data_dir, AUTH_PUBLIC_KEY_FILE)


def auth_private_key(value: SecretStr | None, data_dir: Path) -> bytes:
    return _from(value, data_dir, AUTH_PRIVATE_KEY_FILE)

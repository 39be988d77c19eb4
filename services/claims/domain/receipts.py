"""Signed receipts: the professional's proof of what was received and when.

The service signs `fse-receipt-v1|reference|received_at|digest|submission_id|practitioner_id|entered_by`
(received_at in UTC ISO 8601) with Ed25519. The signing key is the service's own configured seed
(CLAIMS_RECEIPT_SEED, base64 of 32 bytes) or else derived from the data key with HKDF-SHA256
(info `fse-claims-receipt`); anyone holding the published public key can verify a receipt offline.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALGORITHM = "ed25519"


@dataclass(frozen=True)
class Receipt:
    reference: str
    received_at: datetime
    digest: str
    submission_id: str
    practitioner_id: str
    entered_by: str

    def message(self) -> bytes:
        moment = self.received_at.astimezone(UTC).isoformat()
        fields = (self.reference, moment, self.digest, self.submission_id)
        return "|".join(("fse-receipt-v1", *fields, self.practitioner_id, self.entered_by)).encode()


def seed_from_data_key(data_key: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"fse-claims-receipt").derive(data_key)


class ReceiptSigner:
    def __init__(self, seed: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(seed)

    def sign(self, receipt: Receipt) -> str:
        return base64.urlsafe_b64encode(self._key.sign(receipt.message())).decode()

    def verify(self, receipt: Receipt, signature: str) -> bool:
        try:
            raw = base64.urlsafe_b64decode(signature.encode())
            self._key.public_key().verify(raw, receipt.message())
        except (InvalidSignature, ValueError):
            return False
        return True

    def public_key_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

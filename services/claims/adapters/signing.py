"""The receipt-signing key of this process, made once from the settings on first use."""

from __future__ import annotations

import base64

from runtime.service import Runtime
from services.claims.domain.receipts import ReceiptSigner, seed_from_data_key
from services.claims.settings import Settings


def receipt_signer(runtime: Runtime) -> ReceiptSigner:
    signer = runtime.extras.get("receipts")
    if signer is None:
        settings = runtime.settings
        seed_setting = settings.receipt_seed if isinstance(settings, Settings) else None
        if seed_setting is not None:
            seed = base64.b64decode(seed_setting.get_secret_value())
        else:
            seed = seed_from_data_key(settings.resolved_data_key())
        signer = runtime.extras["receipts"] = ReceiptSigner(seed)
    assert isinstance(signer, ReceiptSigner)
    return signer

"""A pricing refusal with a stable reason code (contracts.reasons) and the field it concerns."""

from __future__ import annotations


class PricingError(ValueError):
    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.line = line

"""A use case's refusal: a stable code, the HTTP status, and a message "field: reason"."""

from __future__ import annotations


class RefusedError(Exception):
    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def field(self) -> str:
        return str(self).split(":", 1)[0]

    @property
    def reason(self) -> str:
        return str(self).split(":", 1)[-1].strip()

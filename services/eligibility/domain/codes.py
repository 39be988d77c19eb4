"""The code FSE and its rotation: a new code replaces the old one, which stays accepted for a grace
period (cards in the post, the app not yet refreshed). Only keyed digests are handled here."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

_NO_CODE = b"\x00" * 32


def _same(known: bytes | None, presented: bytes) -> bool:
    return hmac.compare_digest(known or _NO_CODE, presented) and known is not None


@dataclass(frozen=True)
class CodeFse:
    current: bytes | None = None
    previous: bytes | None = None
    previous_until: datetime | None = None
    issued_at: datetime | None = None

    def issued(self, new: bytes, issued_at: datetime, grace: timedelta) -> CodeFse:
        """The codes once `new` (issued at `issued_at`) is known, in whatever order codes arrive: the
        newest is current; the one it replaced stays accepted until `grace` after the replacement."""
        if self.current is None or self.issued_at is None:
            return CodeFse(new, issued_at=issued_at)
        if _same(self.current, new) or _same(self.previous, new):
            return self
        if issued_at > self.issued_at:
            return CodeFse(new, self.current, issued_at + grace, issued_at)
        if self.previous is None:  # an older code arriving late: the current one replaced it
            return CodeFse(self.current, new, self.issued_at + grace, self.issued_at)
        return self

    def accepts(self, presented: bytes, at: datetime) -> bool:
        """Both digests are always compared, in constant time, whatever the outcome."""
        current = _same(self.current, presented)
        previous = _same(self.previous, presented)
        return current or (previous and self.previous_until is not None and at < self.previous_until)

"""The code FSE and its rotation: a new code replaces the old one, which stays accepted for a grace
period (cards in the post, the app not yet refreshed). Only keyed digests are handled here."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

_NO_CODE = b"\x00" * 32


@dataclass(frozen=True)
class CodeFse:
    current: bytes | None = None
    previous: bytes | None = None
    previous_until: datetime | None = None

    def rotated(self, new: bytes, issued_at: datetime, grace: timedelta) -> CodeFse:
        """The codes after `new` was issued at `issued_at`: the current one becomes the previous one."""
        if self.current is not None and hmac.compare_digest(self.current, new):
            return self
        if self.current is None:
            return CodeFse(new)
        return CodeFse(new, self.current, issued_at + grace)

    def accepts(self, presented: bytes, at: datetime) -> bool:
        """Both digests are always compared, in constant time, whatever the outcome."""
        current = hmac.compare_digest(self.current or _NO_CODE, presented) and self.current is not None
        in_grace = self.previous_until is not None and at < self.previous_until
        previous = hmac.compare_digest(self.previous or _NO_CODE, presented) and self.previous is not None
        return current or (previous and in_grace)

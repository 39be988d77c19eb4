"""One logging setup: single-line records, control characters escaped against log injection, and
secrets (tokens, codes, passwords) redacted should a message ever carry them, as well as the values
that PostgreSQL's errors quote in their DETAIL line (a unique key's value, a failing row's columns):
an error's text reaches the logs when a batch is handed back to Kafka."""

from __future__ import annotations

import logging
import re
import sys

_SECRET = re.compile(
    r"(?i)(bearer\s+|password[\"'=: ]+|token[\"'=: ]+|code_fse[\"'=: ]+|secret[\"'=: ]+|otpauth://)\S+"
)

_DETAIL = re.compile(r"(DETAIL:\s*)[^\n]*")


def sanitize(text: str) -> str:
    text = _SECRET.sub(lambda m: m.group(1) + "[redacted]", text)
    text = _DETAIL.sub(lambda m: m.group(1) + "[redacted]", text)
    return text.encode("unicode_escape", "backslashreplace").decode("ascii")


class SafeFormatter(logging.Formatter):
    converter = __import__("time").gmtime

    def format(self, record: logging.LogRecord) -> str:
        return sanitize(super().format(record))


def setup(service: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter(f"%(asctime)sZ {service} %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)

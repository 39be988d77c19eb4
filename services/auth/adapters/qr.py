"""The otpauth URI as QR codes (segno): PNG (base64) and SVG, for an authenticator app to scan."""

from __future__ import annotations

import base64
import io

import segno


def render(uri: str) -> tuple[str, str]:
    code = segno.make(uri, error="m")
    png, svg = io.BytesIO(), io.BytesIO()
    code.save(png, kind="png", scale=5)
    code.save(svg, kind="svg", scale=5, xmldecl=False)
    return base64.b64encode(png.getvalue()).decode(), svg.getvalue().decode()

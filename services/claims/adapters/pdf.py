"""Rendering documents as PDF with fpdf2 (core fonts: Latin-1 text only, which French fits)."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def render(
    title: str,
    paragraphs: Sequence[str],
    table: Sequence[Sequence[str]] = (),
    col_widths: Sequence[int] | None = None,
) -> bytes:
    """A one-column document: a title, paragraphs, and an optional table whose first row is a header."""
    pdf = FPDF()
    pdf.set_title(_latin1(title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, _latin1(paragraph), new_x="LMARGIN", new_y="NEXT")
    if table:
        pdf.ln(4)
        with pdf.table(text_align="LEFT", col_widths=tuple(col_widths) if col_widths else None) as grid:
            for line in table:
                row = grid.row()
                for cell in line:
                    row.cell(_latin1(cell))
    return bytes(pdf.output())

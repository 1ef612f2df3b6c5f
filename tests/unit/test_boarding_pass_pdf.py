"""The boarding pass's QR code is drawn as vector squares: read back from the page's content stream, the
squares are exactly the modules of the code for the pass's token, so a scanner reads what was signed."""

import io

import pytest
import segno
from pypdf import PdfReader
from pypdf.generic import ContentStream

from safepassage.movements.documents import pass_pdf

FIELDS = {
    "latin_name": "IVANOVA MARIA",
    "native_name": "Иванова Мария",
    "leg": "AF-1",
    "origin": "Aleppo",
    "destination": "Moscow",
    "departure": "2026-11-23 06:00",
    "place": "seat",
    "number": "BP-000123",
}


def _squares(pdf: bytes) -> list[tuple[float, float, float, float]]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    content = ContentStream(page.get_contents(), page.pdf)
    return [tuple(float(v) for v in operands) for operands, op in content.operations if op == b"re"]


@pytest.mark.parametrize("language", ["en", "ru", "ar"])
def test_the_printed_code_is_the_code_of_the_token(language: str) -> None:
    token = "v1.0190a2b3c4d5e6f708192a3b4c5d6e7f.signature-" + language * 20
    pdf = pass_pdf(FIELDS, token, language)
    assert not PdfReader(io.BytesIO(pdf)).pages[0].images  # nothing for a reader to mis-parse
    squares = _squares(pdf)
    assert squares
    expected = [list(row) for row in segno.make(token, error="m").matrix_iter(scale=1, border=2)]
    n = len(expected)
    x0 = min(x for x, _, _, _ in squares)
    top = max(y + h for _, y, _, h in squares)
    module = min(h for *_, h in squares)
    grid = [[0] * n for _ in range(n)]
    for x, y, w, h in squares:
        row = round((top - (y + h)) / module) + 2  # the top border row holds no square
        first = round((x - x0) / module) + 2  # nor does the left border column
        for col in range(first, first + round(w / module)):
            grid[row][col] = 1
    assert grid == [[1 if v else 0 for v in row] for row in expected]


def test_a_changed_token_prints_a_different_code() -> None:
    assert _squares(pass_pdf(FIELDS, "token-a", "en")) != _squares(pass_pdf(FIELDS, "token-b", "en"))

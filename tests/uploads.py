"""Real files for upload tests: a small PNG and JPEG, plain and hostile PDFs."""

from __future__ import annotations

import io

from PIL import Image


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 220, 240)).save(out, format="PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 220, 240)).save(out, format="JPEG")
    return out.getvalue()


def pdf(*, javascript: bool = False, attachment: bool = False) -> bytes:
    """A one-page PDF; optionally with JavaScript run on opening, or an embedded file."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if javascript:
        from pypdf.generic import DictionaryObject, NameObject, TextStringObject

        action = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hello');")}
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if attachment:
        writer.add_attachment("payload.html", b"<script>alert(1)</script>")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PNG = png()
PDF = pdf()

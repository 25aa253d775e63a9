"""Checking uploaded documents (proof of relationship, off-site filing materials): the real type by the
content, never the client's name or type; the file is stored under a name the server chooses.

- JPEG and PNG must open as images of at most ``MAX_PIXELS`` (a small file can decode to gigabytes);
- PDFs must parse, and may carry neither JavaScript nor actions that run on opening, nor embedded files.
"""

from __future__ import annotations

import io
import re
import warnings

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

from portal.errors import DomainError, define

PROOF_INVALID = define(
    "proof_invalid",
    400,
    "关系证明须为 JPEG、PNG 或 PDF 文件，且不超过 {max_mb} MB",
    "Proof of relationship must be a JPEG, PNG or PDF file of at most {max_mb} MB",
)
PROOF_MISSING = define("proof_missing", 400, "请上传关系证明材料", "Upload a proof of relationship")
PROOF_UNSAFE = define(
    "proof_unsafe",
    400,
    "文件无法打开或含有脚本、附件等内容，请上传照片或扫描件",
    "The file cannot be opened or carries scripts or attachments; upload a photo or a plain scan",
)

MAX_PIXELS = 40_000_000  # a 40-megapixel photo; decompression bombs are far larger
_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
]
# PDF names that run code or carry files; names may hide letters as #xx escapes (/J#61vaScript).
_ACTIVE_PDF_NAMES = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|AA|SubmitForm|ImportData)\b")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def check_proof(upload: UploadedFile | None, *, max_bytes: int) -> tuple[str, str]:
    """Returns (content type, extension) decided from the file's content, not from what the client said."""
    if upload is None:
        raise DomainError(PROOF_MISSING)
    max_mb = max_bytes // (1024 * 1024)
    if upload.size is None or upload.size == 0 or upload.size > max_bytes:
        raise DomainError(PROOF_INVALID, max_mb=max_mb, details={"size": upload.size})
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    for magic, content_type, extension in _SIGNATURES:
        if content.startswith(magic):
            _inspect(content, content_type)
            return content_type, extension
    raise DomainError(PROOF_INVALID, max_mb=max_mb, details={"reason": "type"})


def _inspect(content: bytes, content_type: str) -> None:
    if content_type == "application/pdf":
        _inspect_pdf(content)
    else:
        _inspect_image(content)


def _inspect_image(content: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # Pillow's own bomb guard: refuse
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise DomainError(PROOF_UNSAFE, details={"reason": "too many pixels", "pixels": width * height})
                image.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise DomainError(PROOF_UNSAFE, details={"reason": "too many pixels"}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(PROOF_UNSAFE, details={"reason": "not a readable image"}) from None


def _inspect_pdf(content: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    plain = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), content)
    found = _ACTIVE_PDF_NAMES.search(plain)
    if found:
        raise DomainError(PROOF_UNSAFE, details={"reason": f"PDF with {found.group(1).decode()}"})
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted or len(reader.pages) == 0:
            raise DomainError(PROOF_UNSAFE, details={"reason": "encrypted or empty PDF"})
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError):
        raise DomainError(PROOF_UNSAFE, details={"reason": "not a readable PDF"}) from None

"""Checking uploaded proof of relationship: real type by its first bytes, and size."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile

from portal.errors import DomainError, define

PROOF_INVALID = define(
    "proof_invalid",
    400,
    "关系证明须为 JPEG、PNG 或 PDF 文件，且不超过 {max_mb} MB",
    "Proof of relationship must be a JPEG, PNG or PDF file of at most {max_mb} MB",
)
PROOF_MISSING = define("proof_missing", 400, "请上传关系证明材料", "Upload a proof of relationship")

_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
]


def check_proof(upload: UploadedFile | None, *, max_bytes: int) -> tuple[str, str]:
    """Returns (content type, extension) decided from the file's content, not from what the client said."""
    if upload is None:
        raise DomainError(PROOF_MISSING)
    max_mb = max_bytes // (1024 * 1024)
    if upload.size is None or upload.size == 0 or upload.size > max_bytes:
        raise DomainError(PROOF_INVALID, max_mb=max_mb, details={"size": upload.size})
    head = upload.read(8)
    upload.seek(0)
    for magic, content_type, extension in _SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    raise DomainError(PROOF_INVALID, max_mb=max_mb, details={"reason": "type"})

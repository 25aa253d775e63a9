"""The photo of a paper prescription: checked like other uploads (portal.family.proofs: the type from the
content, images opened and size-checked), but only JPEG or PNG, and refused in this app's own words."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from payments.prescriptions.errors import PHOTO_INVALID, PHOTO_REQUIRED
from portal.errors import DomainError
from portal.family.proofs import PROOF_MISSING, check_proof


def photo_max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


def check_photo(upload: UploadedFile | None) -> tuple[str, str]:
    """(content type, extension) of a readable JPEG or PNG, decided from its bytes."""
    max_bytes = photo_max_bytes()
    max_mb = max_bytes // (1024 * 1024)
    if upload is None:
        raise DomainError(PHOTO_REQUIRED)
    try:
        content_type, extension = check_proof(upload, max_bytes=max_bytes)
    except DomainError as error:
        if error.code == PROOF_MISSING:
            raise DomainError(PHOTO_REQUIRED) from None
        raise DomainError(PHOTO_INVALID, max_mb=max_mb, details=error.details) from None
    if extension not in ("jpg", "png"):
        raise DomainError(PHOTO_INVALID, max_mb=max_mb, details={"reason": "type"})
    return content_type, extension

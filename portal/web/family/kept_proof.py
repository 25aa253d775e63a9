"""A proof of relationship kept across a form's errors, so a resident never has to choose the file again.

The checked upload is stored once in the private storage (no URL; MEDIA_ROOT/private, like the proofs of
bindings) and the form carries only a random token in a hidden field. The token is good for this session
and this person only; the file is deleted once a binding is made from it, when another file replaces it,
and in any case after ``LIFETIME`` (pruned whenever a new one is kept).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
import uuid
from dataclasses import dataclass

from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import HttpRequest

from portal.family.models import private_storage

logger = logging.getLogger(__name__)

SESSION_KEY = "family_kept_proof"
DONE_KEY = "family_bind_done"  # token -> binding id, so a repeated POST of a sent form finds its binding
FOLDER = "family-proofs/pending"
LIFETIME = 24 * 3600
FILENAME_MAX = 80


@dataclass(frozen=True)
class KeptProof:
    token: str
    filename: str  # as the resident's phone named it, shown back to them only
    stored: str
    content_type: str

    def upload(self) -> UploadedFile:
        """The file as an upload again, for the service (which checks it again)."""
        with _storage().open(self.stored, "rb") as handle:
            content = handle.read()
        return SimpleUploadedFile(self.filename, content, content_type=self.content_type)


def _storage() -> Storage:
    return private_storage()


def _person_id(request: HttpRequest) -> int:
    return int(request.person.pk)  # type: ignore[attr-defined]


def _shown_name(raw: str) -> str:
    name = os.path.basename(raw.replace("\\", "/")).strip() or "proof"
    return "".join(ch for ch in name if ch.isprintable())[:FILENAME_MAX]


def find(request: HttpRequest, token: str) -> KeptProof | None:
    """The proof kept under ``token`` for this session and person, if it is still there."""
    entry = request.session.get(SESSION_KEY)
    if not token or not isinstance(entry, dict) or not secrets.compare_digest(str(entry.get("token", "")), token):
        return None
    if entry.get("person") != _person_id(request) or time.time() - float(entry.get("at", 0)) > LIFETIME:
        return None
    kept = KeptProof(token, str(entry["filename"]), str(entry["stored"]), str(entry["content_type"]))
    return kept if _storage().exists(kept.stored) else None


def keep(request: HttpRequest, upload: UploadedFile, *, content_type: str, extension: str) -> KeptProof:
    """Store a checked upload and remember it in the session (replacing any earlier one)."""
    discard(request)
    _prune()
    storage = _storage()
    stored = storage.save(f"{FOLDER}/{uuid.uuid4().hex}.{extension}", upload)
    kept = KeptProof(secrets.token_urlsafe(24), _shown_name(upload.name or ""), stored, content_type)
    request.session[SESSION_KEY] = {
        "token": kept.token,
        "filename": kept.filename,
        "stored": kept.stored,
        "content_type": kept.content_type,
        "person": _person_id(request),
        "at": time.time(),
    }
    return kept


def discard(request: HttpRequest) -> None:
    """Forget the kept proof and delete its file."""
    entry = request.session.pop(SESSION_KEY, None)
    if isinstance(entry, dict) and entry.get("stored"):
        _delete(str(entry["stored"]))


def remember_done(request: HttpRequest, token: str, binding_id: int) -> None:
    """A binding was made from the form carrying ``token``: the same form sent again leads to it."""
    if token:
        request.session[DONE_KEY] = {"token": token, "binding": binding_id}


def done_binding(request: HttpRequest, token: str) -> int | None:
    entry = request.session.get(DONE_KEY)
    if token and isinstance(entry, dict) and secrets.compare_digest(str(entry.get("token", "")), token):
        return int(entry["binding"])
    return None


def _delete(stored: str) -> None:
    try:
        _storage().delete(stored)
    except OSError:
        logger.warning("kept proof %s could not be deleted", stored)


def _prune() -> None:
    """Delete kept proofs older than ``LIFETIME`` (forms left half-filled)."""
    storage = _storage()
    try:
        _, files = storage.listdir(FOLDER)
    except FileNotFoundError:
        return
    cutoff = time.time() - LIFETIME
    for name in files:
        stored = f"{FOLDER}/{name}"
        try:
            if storage.get_modified_time(stored).timestamp() < cutoff:
                storage.delete(stored)
        except OSError:
            continue

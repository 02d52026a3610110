"""Order files: check what is uploaded, keep it under the instance folder, find it again.

A file is accepted only when its extension is one of ALLOWED and its first bytes look like that
type (PDF, PNG and JPEG signatures; xlsx and docx are ZIP packages holding the right part; csv
and txt must be text). It is stored as `<instance>/uploads/orders/<order id>/<random hex>`: the
uploader's name never touches the file system and is used only as the download name.
"""
from __future__ import annotations

import io
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..engine.text import _
from ..errors import InvalidInput
from ..extensions import db
from ..models import Order, OrderFile, User, utcnow

MAX_FILE_BYTES = 10 * 1024 * 1024
ALLOWED: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",
    "txt": "text/plain",
}
ALLOWED_LABEL = "pdf, png, jpg, xlsx, docx, csv, txt"
ACCEPT_ATTR = ",".join(f".{ext}" for ext in ALLOWED)


@dataclass(frozen=True)
class Upload:
    """A file as received: the sender's name and the bytes (at most MAX_FILE_BYTES + 1 read)."""

    filename: str
    data: bytes


def clean_name(filename: str) -> str:
    """The name to offer on download: the last path part, no control characters, ≤ 255 chars."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot else name[:255]
    return name or "file"


def extension(filename: str) -> str:
    name = clean_name(filename)
    return name.rpartition(".")[2].lower() if "." in name else ""


def _looks_like(ext: str, data: bytes) -> bool:
    if ext == "pdf":
        return data[:1024].lstrip().startswith(b"%PDF-")
    if ext == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in ("jpg", "jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    if ext in ("xlsx", "docx"):
        if not data.startswith(b"PK\x03\x04"):
            return False
        part = "xl/" if ext == "xlsx" else "word/"
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = package.namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return False
        return "[Content_Types].xml" in names and any(n.startswith(part) for n in names)
    if ext in ("csv", "txt"):
        head = data[:8192]
        if b"\x00" in head:
            return False
        for encoding in ("utf-8", "gb18030"):
            try:
                head.decode(encoding)
            except UnicodeDecodeError as exc:
                if exc.start >= len(head) - 4:  # a character cut at the 8 KB boundary
                    return True
                continue
            return True
        return False
    return False


def check_upload(upload: Upload, field: str) -> str:
    """The content type of an acceptable upload; else InvalidInput naming `field`."""
    def refuse(message: str) -> InvalidInput:
        return InvalidInput(message, fields={field: message})

    if not upload.data:
        raise refuse(_("The file is empty."))
    if len(upload.data) > MAX_FILE_BYTES:
        raise refuse(_("The file is larger than %(mb)s MB.", mb=MAX_FILE_BYTES // (1024 * 1024)))
    ext = extension(upload.filename)
    if ext not in ALLOWED:
        raise refuse(_("Only these file types are accepted: %(types)s.", types=ALLOWED_LABEL))
    if not _looks_like(ext, upload.data):
        raise refuse(_("The file's content is not a %(ext)s file.", ext=ext))
    return ALLOWED[ext]


def read_storage(storage: object | None) -> Upload | None:
    """An Upload from a werkzeug FileStorage (None when no file was chosen). Reads at most one
    byte more than the limit, so an oversized file is recognised without reading all of it."""
    if storage is None or not getattr(storage, "filename", None):
        return None
    data = storage.stream.read(MAX_FILE_BYTES + 1)  # type: ignore[attr-defined]
    return Upload(filename=str(storage.filename), data=data)  # type: ignore[attr-defined]


def order_folder(order_id: int) -> Path:
    return Path(current_app.instance_path) / "uploads" / "orders" / str(int(order_id))


def store_file(order: Order, kind: str, upload: Upload, actor: User, content_type: str) -> OrderFile:
    """Write the (already checked) upload to the order's folder and record it (flush only)."""
    folder = order_folder(order.id)
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16)
    target = folder / stored
    partial = folder / f".{stored}.part"
    with open(partial, "wb") as out:
        out.write(upload.data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    db.session.info.setdefault(NEW_FILES, []).append(target)  # removed again if the work rolls back
    record = OrderFile(order=order, kind=kind, original_name=clean_name(upload.filename), stored_name=stored,
                       content_type=content_type, size=len(upload.data), uploaded_by_id=actor.id,
                       created_at=utcnow())
    db.session.add(record)
    db.session.flush()
    return record


NEW_FILES = "orders_new_files"


@event.listens_for(Session, "after_commit")
def _keep_new_files(session: Session) -> None:
    session.info.pop(NEW_FILES, None)


@event.listens_for(Session, "after_rollback")
def _remove_new_files(session: Session) -> None:
    """A file written for a step that did not commit belongs to no order: remove it."""
    for path in session.info.pop(NEW_FILES, []):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def file_path(record: OrderFile) -> Path:
    return order_folder(record.order_id) / record.stored_name

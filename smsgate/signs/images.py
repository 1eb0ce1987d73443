"""Proof images of signatures: checked by their first bytes, kept as files under the data dir.

The database keeps only a file name per image; the files live in `<data_dir>/sign-images/`, named
by random tokens so that no name can be guessed or collide. Files are written before the
transaction that records them and removed when it fails, so a row never names a missing file (a
crash in between can only leave an unnamed file behind, never a dangling row).
"""

import contextlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from smsgate.errors import Code, JsmsError

IMAGE_DIR = "sign-images"
MAX_IMAGES = 4  # image0 ... image3
# What jsms-api.md allows for proof documents: JPEG, PNG, GIF and BMP, told by their magic bytes.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"BM", "image/bmp", "bmp"),
)
_SMALLEST_IMAGE = 26  # below this no format above has room for its header


@dataclass(frozen=True, slots=True)
class ProofImage:
    """One checked upload: its bytes and the type its magic bytes name."""

    data: bytes
    media_type: str
    extension: str


@dataclass(frozen=True, slots=True)
class StoredImage:
    file_name: str
    media_type: str
    size: int


def check_images(uploads: Iterable[bytes], max_bytes: int) -> list[ProofImage]:
    """Every upload as a proof image; 50101 for more than four, one too large, or one that is
    not a JPEG, PNG, GIF or BMP whatever its name or declared type says."""
    images = [_check_image(data, max_bytes) for data in uploads]
    if len(images) > MAX_IMAGES:
        raise JsmsError(Code.INVALID_IMAGE, f"at most {MAX_IMAGES} images")
    return images


def _check_image(data: bytes, max_bytes: int) -> ProofImage:
    if len(data) > max_bytes:
        raise JsmsError(Code.INVALID_IMAGE, "image too large")
    if len(data) >= _SMALLEST_IMAGE:
        for magic, media_type, extension in _SIGNATURES:
            if data.startswith(magic):
                return ProofImage(data, media_type, extension)
    raise JsmsError(Code.INVALID_IMAGE, "not a JPEG, PNG, GIF or BMP image")


def image_dir(data_dir: Path) -> Path:
    return data_dir / IMAGE_DIR


def store_images(data_dir: Path, images: list[ProofImage]) -> list[StoredImage]:
    """Write each image to a new file (mode 600); on any failure the ones written are removed."""
    directory = image_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stored: list[StoredImage] = []
    try:
        for image in images:
            name = f"{secrets.token_hex(16)}.{image.extension}"
            path = directory / name
            with path.open("xb") as file:
                path.chmod(0o600)
                file.write(image.data)
            stored.append(StoredImage(name, image.media_type, len(image.data)))
    except BaseException:
        remove_images(data_dir, (image.file_name for image in stored))
        raise
    return stored


def remove_images(data_dir: Path, file_names: Iterable[str]) -> None:
    directory = image_dir(data_dir)
    for name in file_names:
        with contextlib.suppress(FileNotFoundError):
            (directory / Path(name).name).unlink()

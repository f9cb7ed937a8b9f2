"""Checks on the images an article uses: next to the article, real, and of sane size.

An image is read into an output only after it passed here; writers also fetch it
through `fetcher.py`, which enforces the same folder rule a second time.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.config import CONFIG_NAME, Config, key_line
from pipeline.core.errors import ConfigError

MAX_IMAGE_BYTES = 10_000_000
MAX_IMAGE_PIXELS = 40_000_000
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ImageProblem(ValueError):
    def __init__(self, what: str, hint: str) -> None:
        super().__init__(what)
        self.hint = hint


@dataclass(frozen=True)
class ImageFile:
    """An image that passed the checks: where it is and what it is."""

    path: Path
    media_type: str


def check_image(src: str, folder: Path) -> ImageFile:
    """The image, if `src` names a usable PNG or JPEG file next to the article."""
    if not _SAFE_NAME.match(src) or ".." in src:
        raise ImageProblem(
            f"the image {src!r} is not a file name next to the article",
            "put the image in the same folder as the article and write just its file name",
        )
    path = folder / src
    if not path.is_file():
        raise ImageProblem(f"the image {src!r} does not exist", f"add {src} next to the article")
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ImageProblem(
            f"the image {src!r} is {size:,} bytes; the limit is {MAX_IMAGE_BYTES:,}",
            "save it smaller (a handout needs at most 2000 pixels across)",
        )
    return ImageFile(path, media_type_of(path))


def media_type_of(path: Path) -> str:
    """The image's media type, after Pillow has read and verified the file."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between the limit and twice the limit: make that an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image_format = image.format
                width, height = image.size
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageProblem(f"the image {path.name!r} has too many pixels", "save it smaller") from None
    except Exception:
        raise ImageProblem(f"{path.name!r} is not a readable image", "save it as PNG or JPEG") from None
    if image_format not in MEDIA_TYPES:
        raise ImageProblem(f"the image {path.name!r} is {image_format}, not PNG or JPEG", "save it as PNG or JPEG")
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageProblem(f"the image {path.name!r} has too many pixels", "save it smaller")
    return MEDIA_TYPES[image_format]


def data_uri(image) -> str:
    """The image (a job's Resource) inline, for the standalone web page (one file, nothing to lose)."""
    import base64

    return f"data:{image.media_type};base64,{base64.b64encode(image.data).decode('ascii')}"


def check_clinic_logo(config: Config) -> None:
    """The clinic's logo passes the checks of an article's images (PNG or JPEG, real, of
    sane size), or the whole project stops with one line naming handouts.toml and the key."""
    clinic = config.clinic
    if clinic is None or clinic.logo is None:
        return
    problem = None
    if not clinic.logo.is_file():
        problem = ImageProblem(f"the logo {clinic.logo.name!r} does not exist",
                                      "put the logo file in the project and give its path from handouts.toml")
    else:
        try:
            check_image(clinic.logo.name, clinic.logo.parent)
        except ImageProblem as error:
            problem = error
    if problem is not None:
        raise ConfigError(f"clinic.logo: {problem}", file=CONFIG_NAME, line=key_line(config, "logo"),
                          hint=problem.hint)

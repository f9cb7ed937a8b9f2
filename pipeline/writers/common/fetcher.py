"""The only way a writer reads a resource: files of the article's own folder or of the
pipeline's own assets, nothing else.

No `http(s)://`, no `file://` outside those folders, no `../` escaping them. A source or
a translation can therefore never pull another file of the machine, or anything from
the network, into a handout.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlparse

from pipeline.core.errors import UnsafeResourceError

PIPELINE_ASSETS = Path(__file__).resolve().parents[1]


def allowed_file(url: str, allowed_dirs: tuple[Path, ...]) -> Path:
    """The local path behind `url` if it lies inside one of `allowed_dirs`; else raise."""
    parsed = urlparse(url)
    if parsed.scheme not in ("file", ""):
        raise UnsafeResourceError(f"refused to fetch {url!r}: only the article's own files may be used",
                                  hint="put the file next to the article and refer to it by name")
    if parsed.netloc not in ("", "localhost"):
        raise UnsafeResourceError(f"refused to fetch {url!r}: not a local file")
    path = Path(unquote(parsed.path)).resolve()
    for folder in allowed_dirs:
        if path.is_relative_to(folder.resolve()):
            if not path.is_file():
                raise UnsafeResourceError(f"the file {path.name!r} does not exist")
            return path
    raise UnsafeResourceError(f"refused to read {path}: it is outside the article's folder",
                              hint="put the file next to the article and refer to it by name")


def weasyprint_fetcher(allowed_dirs: tuple[Path, ...], resources: dict | None = None,
                       resource_folder: Path | None = None):
    """A WeasyPrint URL fetcher that stops the render on any refusal. A file of the article
    (under `resource_folder`) is served from `resources`, the bytes its job carries, so
    the source folder is never read by a worker; other files must lie in `allowed_dirs`."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    folder = resource_folder.resolve() if resource_folder is not None else None

    class SafeFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(fail_on_errors=True, allowed_protocols=("file",))

        def fetch(self, url, headers=None):  # noqa: D401 - WeasyPrint's API
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve()
            if folder is not None and parsed.scheme == "file" and path.parent == folder:
                resource = (resources or {}).get(path.name)
                if resource is None:
                    raise UnsafeResourceError(f"the file {path.name!r} is not one of the article's images")
                return URLFetcherResponse(url, body=resource.data, headers={"Content-Type": resource.media_type})
            path = allowed_file(url, allowed_dirs)
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media_type})

    return SafeFetcher()

"""What outreach teams download: `outputs/manifest.json`, `outputs/index.html` and the OPDS
feed `outputs/catalog.xml`, all written from the build state after every build.

A file is listed as current when the build state records it with the key its task
has now (same inputs) and it is on disk unchanged; the manifest also keeps, marked
`"current": false`, the last good files of a language that could not be rebuilt, so
nothing is lost and nothing stale is offered on the download page or in the feed.
The manifest never lists a file that is not there or whose checksum differs.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field

from pipeline import __version__
from pipeline.core import atomic
from pipeline.build import STATE_NAME, BuildState, _relative, plan_tasks, BuildReport
from pipeline.core.config import Config
from pipeline.inputs.project import Project, load_project
from pipeline.writers import writer_names
from pipeline.core.job import Job

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "epub": "application/epub+zip",
    "mp3": "audio/mpeg",
    "vtt": "text/vtt",
    "html": "text/html",
}
FORMAT_ORDER = ["pdf", "epub", "mp3", "vtt", "html"]
MANIFEST = "manifest.json"
INDEX = "index.html"
OPDS = "catalog.xml"


@dataclass
class Listed:
    path: str
    language: str
    format: str
    size: int
    sha256: str
    current: bool
    info: dict
    job: Job | None = None
    duration: float | None = None


@dataclass
class Shelf:
    """Everything the download page and the feed show for one article in one language."""

    job: Job
    files: list[Listed] = field(default_factory=list)


@dataclass
class Plan:
    """For every output the full project would build now: its task key and its job."""

    project: Project
    keys: dict[str, str]
    jobs: dict[str, Job]


def current_plan(config: Config) -> Plan:
    project = load_project(config)
    tasks = plan_tasks(project, writer_names(), BuildReport())
    keys = {_relative(config, path): task.key for task in tasks for path in task.outputs.values()}
    jobs = {_relative(config, path): task.job for task in tasks for path in task.outputs.values()}
    return Plan(project, keys, jobs)


def publish(config: Config, plan: Plan | None = None) -> list[Listed]:
    """Rewrite the manifest, the download page and the OPDS feed from the build state.
    `plan` is the build's own when it made one (loading the project costs a tenth of a second)."""
    plan = plan or current_plan(config)
    listed = collect(config, BuildState(config.cache_dir / STATE_NAME), plan)
    write_manifest(config, listed)
    shelves = _shelves(plan.project, listed)
    write_index(config, plan.project, shelves)
    write_opds(config, shelves)
    return listed


def collect(config: Config, state: BuildState, plan: Plan) -> list[Listed]:
    """The files of outputs/ that the build state vouches for, checksums verified."""
    current_keys, jobs = plan.keys, plan.jobs
    listed: list[Listed] = []
    for relative, entry in sorted(state.entries.items()):
        if entry.get("artifact") or relative.startswith("cache:"):
            continue
        path = config.outputs_dir / relative
        if not path.is_file():
            continue
        stat = path.stat()
        checksum = entry.get("sha256")
        if stat.st_size != entry.get("size") or stat.st_mtime_ns != entry.get("mtime_ns"):
            checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        item = Listed(
            path=relative,
            language=entry["language"],
            format=entry["format"],
            size=stat.st_size,
            sha256=checksum,
            current=current_keys.get(relative) == entry.get("key") and checksum == entry.get("sha256"),
            info=entry,
            job=jobs.get(relative),
        )
        if item.format == "mp3":
            from mutagen.mp3 import MP3

            item.duration = MP3(str(path)).info.length
        listed.append(item)
    return listed


def write_manifest(config: Config, listed: list[Listed]) -> None:
    files = [
        {
            "path": item.path,
            "article": item.info.get("slug"),
            "language": item.language,
            "format": item.format,
            "media_type": MEDIA_TYPES.get(item.format, "application/octet-stream"),
            "size": item.size,
            "sha256": item.sha256,
            "source_version": item.info.get("source_version"),
            "catalog_version": item.info.get("catalog_version") or None,
            "engine": item.info.get("engine") or None,
            "voice": item.info.get("voice") or None,
            "review": item.info.get("review"),
            "current": item.current,
        }
        for item in listed
    ]
    manifest = {"generator": f"handouts {__version__}", "files": files}
    atomic.atomic_write_text(config.outputs_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")


def _shelves(project: Project, listed: list[Listed]) -> list[Shelf]:
    shelves: list[Shelf] = []
    for plan in project.plans:
        if plan.job is None:
            continue
        files = [item for item in listed if item.current and item.job is not None
                 and item.job.stem == plan.job.stem]
        if files:
            files.sort(key=lambda item: FORMAT_ORDER.index(item.format) if item.format in FORMAT_ORDER else 99)
            shelves.append(Shelf(plan.job, files))
    return shelves


def human_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


def write_index(config: Config, project: Project, shelves: list[Shelf]) -> None:
    from pipeline.writers.html import environment

    articles = []
    for article in project.articles:
        articles.append({"article": article, "shelves": [s for s in shelves if s.job.article.slug == article.slug]})
    html = environment().get_template("index.html.j2").render(
        articles=articles, human_size=human_size, version=__version__, manifest=MANIFEST, opds=OPDS,
        media_types=MEDIA_TYPES,
    )
    atomic.atomic_write_text(config.outputs_dir / INDEX, html)


def write_opds(config: Config, shelves: list[Shelf]) -> None:
    from pipeline.writers.epub import book_identifier
    from pipeline.writers.html import environment

    entries = []
    for shelf in shelves:
        job = shelf.job
        links = [item for item in shelf.files if item.format in ("epub", "mp3")]
        if not links:
            continue
        entries.append({"job": job, "id": book_identifier(job.article.slug, job.facts.tag), "links": links,
                        "updated": f"{job.modified}T00:00:00Z"})
    updated = max((e["updated"] for e in entries), default="2000-01-01T00:00:00Z")
    feed_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'handouts-opds-catalog')}"
    xml = environment().get_template("catalog.xml.j2").render(
        entries=entries, updated=updated, feed_id=feed_id, media_types=MEDIA_TYPES,
    )
    atomic.atomic_write_text(config.outputs_dir / OPDS, xml)


def verify_manifest(config: Config) -> list[str]:
    """Problems found comparing the manifest with the files on disk (empty: all good)."""
    path = config.outputs_dir / MANIFEST
    if not path.exists():
        return ["no outputs/manifest.json (run 'handouts build')"]
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except ValueError as error:
        return [f"outputs/manifest.json is not valid JSON: {error}"]
    problems: list[str] = []
    listed = set()
    for entry in manifest.get("files", []):
        file = config.outputs_dir / entry["path"]
        listed.add(entry["path"])
        if not file.is_file():
            problems.append(f"{entry['path']}: listed in the manifest but missing")
            continue
        data = file.read_bytes()
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['path']}: size or SHA-256 differs from the manifest")
    for file in config.outputs_dir.rglob("*"):
        relative = str(file.relative_to(config.outputs_dir))
        if file.is_file() and file.parent != config.outputs_dir and relative not in listed:
            problems.append(f"{relative}: on disk but not in the manifest")
    return problems

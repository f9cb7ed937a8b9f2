"""Benchmark the build: this project in every language and format, then libraries of N
articles (N = 1, 20, 200) to show how cold, no-change and one-edit builds grow with N, and
local processes against a Dask LocalCluster.

Run with `make bench` (or `.venv/bin/python bench/benchmark.py [--quick]`). Every scenario
runs the real command line in a fresh folder (so caches start empty where it says so).
Prints Markdown tables for the README and writes bench/results/latest.json. `--quick`
stops the library series at N = 20.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from library import REPO, SLUG, make_library

MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "run = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "elapsed = time.perf_counter() - start\n"
    "print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, run.returncode)\n"
    "print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else '')\n"
)
EDITED = ("Las investigaciones sobre el tratamiento del cáncer metastásico continúan.",
          "La investigación sobre el tratamiento del cáncer metastásico continúa.")


def measure(root: Path, *args: str, code: Path | None = None) -> dict:
    """Wall time of the whole command (process start included), peak memory of the largest
    process (MB), exit code and the build's summary line. `code`: a folder holding another
    copy of the `pipeline` package to run instead of this one."""
    command = [sys.executable, "-m", "pipeline", "--root", str(root), "build", "-q", *args]
    environment = {**os.environ, "PYTHONPATH": str(code)} if code else None
    lines = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True,
                           cwd=code or REPO, check=True, env=environment).stdout.splitlines()
    seconds, peak, code = lines[0].split()
    return {"seconds": round(float(seconds), 2), "peak_mb": round(int(peak) / 1024), "exit": int(code),
            "summary": lines[1] if len(lines) > 1 else ""}


def built_count(result: dict) -> int:
    return int(result["summary"].split("built ", 1)[1].split(",")[0]) if "built " in result["summary"] else 0


def median_of(runs: int, root: Path, *args: str, edit: bool = False, size: int = 1) -> dict:
    """The run of median time among `runs`; with `edit`, each run after editing one sentence
    of another article (the first edit is made by the caller)."""
    results = []
    for run in range(runs):
        if edit and run:
            edit_one_sentence(root, f"{SLUG}-{size - 1 - run:03d}" if size > run + 1 else SLUG)
        results.append(measure(root, *args))
    middle = statistics.median(r["seconds"] for r in results)
    return next(r for r in results if r["seconds"] == middle)


def touch_one_catalog(root: Path) -> None:
    """A catalog saved again with the same bytes: no output changes, but the build must look."""
    catalog = root / "translations" / "es" / "LC_MESSAGES" / f"{SLUG}.po"
    os.utime(catalog, ns=(catalog.stat().st_atime_ns, catalog.stat().st_mtime_ns + 10**9))


def edit_one_sentence(root: Path, slug: str = SLUG) -> None:
    """Change one Spanish sentence, back again when it was changed before (a one-article
    library has only that sentence to edit on every run)."""
    catalog = root / "translations" / "es" / "LC_MESSAGES" / f"{slug}.po"
    text = catalog.read_text("utf-8")
    old, new = EDITED if EDITED[0] in text else EDITED[::-1]
    catalog.write_text(text.replace(old, new), "utf-8")


def project_scenarios(parent: Path, cores: int) -> dict:
    """This repository: every language, every format."""
    root = parent / "project"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".venv", "node_modules", ".cache", "outputs", ".git",
                                                             "bench", "tests", "docs"))
    found = {f"cold build, all languages and formats, --jobs {cores}": measure(root)}
    found["no-change rebuild"] = median_of(3, root)
    edit_one_sentence(root)
    found["one sentence of the Spanish catalog edited"] = measure(root)
    return found


def library_scenarios(parent: Path, sizes: list[int], formats: list[str], languages: list[str] | None,
                      extra: tuple[str, ...] = ()) -> list[dict]:
    """Libraries of N articles: cold time per task, no-change and one-edit rebuilds."""
    rows = []
    for size in sizes:
        root = make_library(parent / f"library-{size}-{'-'.join(formats)}{'-'.join(extra)}", size, languages)
        format_args = [arg for name in formats for arg in ("--format", name)]
        cold = measure(root, *format_args, *extra)
        tasks = built_count(cold)
        unchanged = median_of(3, root, *format_args, *extra)
        touch_one_catalog(root)
        touched = measure(root, *format_args, *extra)
        edit_one_sentence(root, f"{SLUG}-{size - 1:03d}" if size > 1 else SLUG)
        edited = median_of(3, root, *format_args, *extra, edit=True, size=size)
        changed = writer_change(parent, root, format_args, extra)
        rows.append({"articles": size, "tasks": tasks, "cold": cold, "cold_per_task_ms": round(1000 * cold["seconds"] / max(1, tasks), 1),
                     "no_change": unchanged, "touched": touched, "one_edit": edited,
                     "one_edit_built": built_count(edited),
                     "writer_change": changed, "writer_change_built": built_count(changed)})
        print(f"  {size} articles, {'/'.join(formats)}{' ' + ' '.join(extra) if extra else ''}: "
              f"cold {cold['seconds']} s, no change {unchanged['seconds']} s, touched {touched['seconds']} s, "
              f"one edit {edited['seconds']} s, writer change {changed['seconds']} s", file=sys.stderr)
    return rows


def writer_change(parent: Path, root: Path, format_args: list[str], extra: tuple[str, ...]) -> dict:
    """A code change to one writer (a comment added to the EPUB writer, which an HTML-only
    library does not use; to the HTML writer otherwise), run from a copy of the package:
    what an upgrade that touches one format costs."""
    code = parent / "code"
    if code.exists():
        shutil.rmtree(code)
    shutil.copytree(REPO / "pipeline", code / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    edited = code / "pipeline" / "writers" / ("epub/writer.py" if format_args == ["--format", "html"] else "html.py")
    edited.write_text(edited.read_text("utf-8") + "\n# a change for the benchmark\n", "utf-8")
    return measure(root, *format_args, *extra, code=code)


def main() -> int:
    if "--library" in sys.argv:  # only the HTML libraries of the sizes given, e.g. --library 200 1000
        sizes = [int(n) for n in sys.argv[sys.argv.index("--library") + 1:]]
        with tempfile.TemporaryDirectory(prefix="handouts-bench-") as folder:
            rows = library_scenarios(Path(folder), sizes, ["html"], None)
        results = {"machine": _machine(), "library_html": rows}
        (REPO / "bench" / "results").mkdir(exist_ok=True)
        (REPO / "bench" / "results" / "library.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
        print_tables(results)
        return 0
    quick = "--quick" in sys.argv
    cores = os.cpu_count() or 1
    results: dict = {"machine": _machine()}
    with tempfile.TemporaryDirectory(prefix="handouts-bench-") as folder:
        parent = Path(folder)
        results["project"] = project_scenarios(parent, cores)
        sizes = [1, 20] if quick else [1, 20, 200, 1000]
        results["library_html"] = library_scenarios(parent, sizes, ["html"], None)
        every = ["html", "pdf", "audio", "epub"]
        small = ["en", "es", "ar"]
        results["library_every_format"] = library_scenarios(parent, [20], every, small)
        results["library_every_format_dask"] = library_scenarios(parent, [20], every, small, ("--scheduler", "local"))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print_tables(results)
    return 0


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def print_tables(results: dict) -> None:
    print(f"Machine: {results['machine']}\n")
    if "project" in results:
        print("| this project | seconds | peak memory (largest process) |")
        print("|---|---:|---:|")
        for name, numbers in results["project"].items():
            print(f"| {name} | {numbers['seconds']} | {numbers['peak_mb']} MB |")
    print("\n| library | articles | tasks | cold (s) | cold per task (ms) | cold peak memory | no change (s) | "
          "a catalog touched (s) | one edit (s, tasks rebuilt, peak memory) | a writer's code changed (s, rebuilt) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, key in (("html, every language", "library_html"), ("every format, en/es/ar", "library_every_format"),
                       ("every format, en/es/ar, Dask LocalCluster", "library_every_format_dask")):
        for row in results.get(key, []):
            print(f"| {label} | {row['articles']} | {row['tasks']} | {row['cold']['seconds']} | "
                  f"{row['cold_per_task_ms']} | {row['cold']['peak_mb']} MB | {row['no_change']['seconds']} | "
                  f"{row['touched']['seconds']} | {row['one_edit']['seconds']} ({row['one_edit_built']}, "
                  f"{row['one_edit']['peak_mb']} MB) | {row['writer_change']['seconds']} "
                  f"({row['writer_change_built']}) |")


if __name__ == "__main__":
    sys.exit(main())

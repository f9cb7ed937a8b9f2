"""Benchmark the build on this repository: cold, no change, one edited sentence, serial
against parallel, peak memory, and where the time goes per output format.

Run with `make bench` (or `.venv/bin/python bench/benchmark.py`). Each scenario runs the
real command line in a fresh copy of the project (sources, translations, config), so
caches start empty where the scenario says so. Prints a Markdown table for the README
and writes bench/results/latest.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLUG = "invasive-vs-metastatic-breast-cancer"
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
    "elapsed = time.perf_counter() - start\n"
    "print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)


def fresh_project(parent: Path, name: str) -> Path:
    root = parent / name
    root.mkdir()
    shutil.copy2(REPO / "handouts.toml", root / "handouts.toml")
    for folder in ("sources", "translations"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def measure(root: Path, *args: str) -> dict:
    """Wall time, peak resident memory of the largest process (MB), exit code."""
    command = [sys.executable, "-m", "pipeline", "--root", str(root), "build", "-q", *args]
    output = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True,
                            cwd=REPO, check=True).stdout.split()
    return {"seconds": round(float(output[0]), 2), "peak_mb": round(int(output[1]) / 1024), "exit": int(output[2])}


def edit_one_sentence(root: Path) -> None:
    catalog = root / "translations" / "es" / "LC_MESSAGES" / f"{SLUG}.po"
    catalog.write_text(catalog.read_text("utf-8").replace(
        "Las investigaciones sobre el tratamiento del cáncer metastásico continúan.",
        "La investigación sobre el tratamiento del cáncer metastásico continúa."), "utf-8")


def first_and_second_pdf(root: Path) -> dict:
    """WeasyPrint's font set-up is paid once per process: time two CJK PDFs in one process."""
    script = (
        "import time, sys\n"
        "from pathlib import Path\n"
        "from pipeline.core.config import load_config\n"
        "from pipeline.inputs.project import load_project\n"
        "from pipeline.writers.base import get_writer\n"
        f"project = load_project(load_config(Path({str(root)!r})), languages=['zh-Hans', 'zh-Hant'])\n"
        "writer = get_writer('pdf')\n"
        "jobs = [p.job for p in project.plans if p.job and p.facts.tag != 'en']\n"
        "times = []\n"
        "for job in jobs:\n"
        "    start = time.perf_counter(); writer.write(job); times.append(time.perf_counter() - start)\n"
        "print(*times)\n"
    )
    first, second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                                   check=True).stdout.split()
    return {"first_cjk_pdf_seconds": round(float(first), 2), "second_cjk_pdf_seconds": round(float(second), 2)}


def main() -> int:
    cores = os.cpu_count() or 1
    results: dict = {
        "machine": f"{platform.machine()}, {cores} cores, Python {platform.python_version()}, {platform.system()}",
        "scenarios": {},
    }
    with tempfile.TemporaryDirectory(prefix="handouts-bench-") as folder:
        parent = Path(folder)
        parallel = fresh_project(parent, "parallel")
        scenarios = results["scenarios"]
        scenarios[f"cold build, all languages and formats, --jobs {cores}"] = measure(parallel)
        scenarios["no-change rebuild"] = measure(parallel)
        edit_one_sentence(parallel)
        scenarios["one sentence edited (es)"] = measure(parallel)
        serial = fresh_project(parent, "serial")
        scenarios["cold build, --jobs 1"] = measure(serial, "--jobs", "1")
        for writer in ("html", "pdf", "epub", "audio"):
            single = fresh_project(parent, f"only-{writer}")
            scenarios[f"cold, only --format {writer}, --jobs 1"] = measure(single, "--format", writer, "--jobs", "1")
        results["weasyprint"] = first_and_second_pdf(serial)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print(f"Machine: {results['machine']}\n")
    print("| scenario | seconds | peak memory (largest process) |")
    print("|---|---:|---:|")
    for name, numbers in results["scenarios"].items():
        flag = "" if numbers["exit"] == 0 else f" (exit {numbers['exit']})"
        print(f"| {name}{flag} | {numbers['seconds']} | {numbers['peak_mb']} MB |")
    weasy = results["weasyprint"]
    print(f"\nWeasyPrint, one process: first CJK PDF {weasy['first_cjk_pdf_seconds']} s, "
          f"second {weasy['second_cjk_pdf_seconds']} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The package as users install it: a wheel (pip install, pipx install), not the checkout.

An editable install reads templates and data straight from the checkout, so a file left
out of the package data only shows in a real install: these tests build the wheel,
compare its contents with the package folder, and build and publish a project with the
wheel installed into a fresh virtual environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, copy_project

# What a wheel never needs: compiled caches, and the Python sources are packages anyway.
NOT_SHIPPED = {".pyc"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of the checkout, built offline with the test environment's setuptools, from
    a copy (setuptools writes build/ and *.egg-info into the tree it builds)."""
    folder = tmp_path_factory.mktemp("wheel")
    tree = folder / "tree"
    shutil.copytree(REPO / "pipeline", tree / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, tree / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(folder), str(tree)], check=True, capture_output=True, text=True)
    (found,) = folder.glob("handouts-*.whl")
    return found


def test_the_wheel_ships_every_file_of_the_package(wheel):
    shipped = set(zipfile.ZipFile(wheel).namelist())
    package = REPO / "pipeline"
    expected = {str(path.relative_to(REPO)) for path in package.rglob("*")
                if path.is_file() and "__pycache__" not in path.parts and path.suffix not in NOT_SHIPPED}
    assert expected - shipped == set()


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_builds_and_publishes(wheel, tmp_path):
    """The same wheel, installed into a new venv (its dependencies taken from the test
    environment, since the tests run offline), builds this project and its download site."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # Dependencies only: a plain path entry, so the checkout's editable finder is not loaded.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", "utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True, text=True)
    located = subprocess.run([venv / "bin" / "python", "-c", "import pipeline; print(pipeline.__file__)"],
                             check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert located.startswith(str(site)), located

    root = copy_project(tmp_path / "project")
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([venv / "bin" / "handouts", "--root", str(root), "build", "--format", "html", "-q"],
                          capture_output=True, text=True, cwd=tmp_path, env=environment)
    assert done.returncode == 0, done.stderr
    outputs = root / "outputs"
    assert "<html" in (outputs / "index.html").read_text("utf-8")
    assert (outputs / "es" / "index.html").is_file() and (outputs / "catalog.xml").is_file()
    assert (outputs / "es" / "invasive-vs-metastatic-breast-cancer.es.html").is_file()

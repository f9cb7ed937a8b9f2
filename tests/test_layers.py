"""The shape of the code: layers visible from the folder names, each importing only from
its own layer or the ones below it (function-level and type-checking imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

LAYERS = ["core", "inputs", "tts", "writers", "build", "publish", "checks", "(top)"]
TOP = {"cli", "status", "voices", "progress", "__main__", "__init__"}


def layer_of(module: str) -> int:
    """'pipeline.writers.pdf' -> the rank of 'writers'; the command line is on top."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return LAYERS.index("(top)")


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            found += [(node.lineno, f"{node.module}.{alias.name}") if node.module == "pipeline" else (node.lineno, node.module)
                      for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("pipeline")]
    return found


def test_every_module_imports_only_from_its_layer_or_below():
    violations = []
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        own = layer_of(module)
        for line, imported in imports_of(path):
            if imported in ("pipeline", "pipeline.__version__"):
                continue
            if layer_of(imported) > own:
                violations.append(f"{path.relative_to(REPO)}:{line} ({LAYERS[own]}) imports {imported} "
                                  f"({LAYERS[layer_of(imported)]})")
    assert violations == []


def test_the_layers_are_the_folders():
    folders = {p.name for p in (REPO / "pipeline").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders - {"data", "templates", "styles"} == set(LAYERS[:-1])
    top = {p.stem for p in (REPO / "pipeline").glob("*.py")}
    assert top <= TOP


def test_writer_names_are_the_registered_writers():
    from pipeline.writers import load_all, writer_names
    from pipeline.writers.base import REGISTRY

    load_all()
    assert list(REGISTRY) == writer_names()

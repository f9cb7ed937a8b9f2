"""The shape of the code: layers visible from the folder names, each importing only from
its own layer or the ones below it (function-level and type-checking imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

LAYERS = ["core", "inputs", "tts", "writers", "engine", "publish", "checks", "cli", "(top)"]
TOP = {"__main__", "__init__"}


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


def test_every_writer_module_exports_the_writer_of_its_name():
    from pipeline.writers import writer_class, writer_names

    assert [writer_class(name).NAME for name in writer_names()] == writer_names()


def test_writers_are_peers_that_meet_only_in_common():
    """No writer imports another writer (their shared code is in writers/common/); a
    writer's own helpers live in its package."""
    from pipeline.writers import WRITER_MODULES

    own = {name: module.split(".")[0] for name, module in WRITER_MODULES.items()}
    violations = []
    for name, folder in own.items():
        path = REPO / "pipeline" / "writers" / folder
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]:
            for line, imported in imports_of(source):
                parts = imported.split(".")
                if parts[:2] == ["pipeline", "writers"] and len(parts) > 2 and parts[2] in own.values() \
                        and parts[2] != folder:
                    violations.append(f"{source.relative_to(REPO)}:{line} imports {imported}")
    assert violations == []


def test_the_code_a_writer_depends_on_is_read_from_its_imports():
    from pipeline.engine.imports import dependencies
    from pipeline.writers import writer_module

    def files(name):
        return {str(p.relative_to(REPO / "pipeline")) for p in dependencies(writer_module(name))}

    assert "writers/pdf/tags.py" in files("pdf") and "writers/pdf/tags.py" not in files("audio")
    assert "tts/piper.py" in files("audio")  # loaded by name from tts/ENGINE_MODULES
    assert "writers/html.py" not in files("pdf") | files("epub") | files("audio")
    assert not any(path.startswith("engine/") or path.startswith("publish/") for path in files("epub"))


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_no_module_over_400_lines_and_no_function_over_60():
    too_long = []
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        text = path.read_text("utf-8")
        where = path.relative_to(REPO)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{where}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{where}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []

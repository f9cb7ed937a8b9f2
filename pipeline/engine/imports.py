"""The code a module depends on, read from its imports: the files a writer's output
depends on, so that the build re-keys a writer's tasks only when its own code (or code
it really uses) changed. Hand-kept dependency lists drift; imports are the truth.

Every `import pipeline…` statement counts, at any depth (function-level imports too),
with the `__init__.py` of each package on the way (Python runs them). A module that
loads modules by name from a name table (`ENGINE_MODULES` in `pipeline/tts/`) depends
on every module of that table, when it is imported by name; a package merely passed
through (its `__init__` run on the way to a submodule) does not bring in its table.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
from pathlib import Path
from typing import Iterator

from pipeline.core import atomic
from pipeline.core.errors import HandoutsError

PIPELINE_DIR = Path(__file__).resolve().parents[1]
NAME_TABLE_SUFFIX = "_MODULES"


def module_file(module: str, root: Path = PIPELINE_DIR) -> Path | None:
    """'pipeline.writers.pdf.tags' -> its file, or None when it is no module of ours."""
    parts = module.split(".")
    if parts[0] != "pipeline":
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _packages_on_the_way(module: str, root: Path) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


_KEPT: dict[str, list] = {}  # what `remembered` loaded: path -> [size, mtime_ns, named, tabled]
_KEEPING: list[bool] = []  # [whether _KEPT gained an entry] while a `remembered` block runs


@contextlib.contextmanager
def remembered(store: Path) -> Iterator[None]:
    """Keep the imports read in `store` (a JSON file in the build's cache) across processes:
    parsing the package's modules is a tenth of a second that every build would pay again."""
    global _KEPT
    try:
        _KEPT = json.loads(store.read_text("utf-8"))
    except (OSError, ValueError):
        _KEPT = {}
    _KEEPING.append(False)
    try:
        yield
    finally:
        if _KEEPING.pop():
            try:
                atomic.atomic_write_text(store, json.dumps(_KEPT))
            except HandoutsError:  # a cache that cannot be written is only slower
                pass


def _imports(path: Path, root: Path) -> tuple[list[str], list[str]]:
    """(modules named by its import statements, modules of its name tables), read once per
    version of the file (every writer's fingerprint walks the same modules)."""
    stat = path.stat()
    kept = _KEPT.get(str(path)) if _KEEPING else None
    if kept and kept[:2] == [stat.st_size, stat.st_mtime_ns]:
        return kept[2], kept[3]
    named, tabled = _parsed_imports(path, root, stat.st_size, stat.st_mtime_ns)
    if _KEEPING:
        _KEPT[str(path)] = [stat.st_size, stat.st_mtime_ns, named, tabled]
        _KEEPING[-1] = True
    return named, tabled


def _statements(nodes: list[ast.stmt]):
    """Every statement, at any depth (imports are statements: expressions need no visit)."""
    for node in nodes:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if children:
                yield from _statements(children)


@functools.lru_cache(maxsize=None)
def _parsed_imports(path: Path, root: Path, size: int, mtime_ns: int) -> tuple[list[str], list[str]]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    named: list[str] = []
    tabled: list[str] = []
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            named += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            named.append(node.module)
            named += [f"{node.module}.{alias.name}" for alias in node.names]  # submodules; others resolve to None
    package = _module_name(path, root)
    for node in tree.body:
        value = getattr(node, "value", None)
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(value, (ast.Dict, ast.Tuple)) and any(
                isinstance(t, ast.Name) and t.id.endswith(NAME_TABLE_SUFFIX) for t in targets):
            values = value.values if isinstance(value, ast.Dict) else value.elts
            tabled += [f"{package}.{v.value}" for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return named, tabled


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.lru_cache(maxsize=None)
def dependencies(module: str, root: Path = PIPELINE_DIR) -> tuple[Path, ...]:
    """Every file of the pipeline that importing and using `module` runs, itself included."""
    seen: set[Path] = set()
    pending = [(module, True)]
    while pending:
        name, by_name = pending.pop()
        path = module_file(name, root)
        if path is None or (path in seen and not by_name):
            continue
        first_time = path not in seen
        seen.add(path)
        named, tabled = _imports(path, root)
        if first_time:
            pending += [(ancestor, False) for ancestor in _packages_on_the_way(name, root)]
            pending += [(imported, True) for imported in named]
        if by_name:
            pending += [(loaded, True) for loaded in tabled if module_file(loaded, root) not in seen]
    return tuple(sorted(seen))

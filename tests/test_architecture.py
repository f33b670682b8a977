"""The rules docs/architecture.md states, held against the code: Python imports only look down
and never go round in a circle, and dbt models read only their own layer or the ones below."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from config import DBT_PROJECT_DIR, PROJECT_ROOT

# Bottom to top, as docs/architecture.md draws them. A package may import its own modules and
# any package on a lower floor; packages on the same floor stay independent of each other.
FLOORS: list[set[str]] = [
    {"config"},
    {"warehouse"},
    {"ingest"},
    {"dashboards", "synthetic"},
    {"infopositie"},
    {"dags", "bench"},
]
FLOOR = {package: level for level, packages in enumerate(FLOORS) for package in packages}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in FLOOR:
        root = PROJECT_ROOT / package
        for path in root.rglob("*.py"):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, module: str, known: dict[str, Path]) -> set[str]:
    """Every project module this file imports, at the top or inside a function (both run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    resolved = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            resolved.add(name)
    return resolved


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: _imports(path, module, known) for module, path in known.items()}


def test_imports_only_look_down(graph: dict[str, set[str]]) -> None:
    upward = []
    for module, targets in graph.items():
        own = module.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other != own and FLOOR[other] >= FLOOR[own]:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports that do not look down:\n" + "\n".join(sorted(upward))


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    # A package's __init__ re-exporting its modules is not a circle of meaning: leave out the
    # edges from a package to its own submodules.
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert not circles, f"modules that import each other: {circles}"


# dbt: only staging reads sources; every layer reads its own layer or lower, reporting not staging
# (seeds are reference data). tests/dbt/test_layers.py holds the same rule against the manifest.
DBT_LAYERS = ["staging", "intermediate", "marts", "reporting"]
_REF = re.compile(r"""\bref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)""")
_SOURCE = re.compile(r"\bsource\(")


def _dbt_models() -> dict[str, tuple[str, str]]:
    models = {}
    for layer in DBT_LAYERS:
        for path in (DBT_PROJECT_DIR / "models" / layer).rglob("*.sql"):
            models[path.stem] = (layer, path.read_text(encoding="utf-8"))
    return models


def test_dbt_layers_read_one_way() -> None:
    models = _dbt_models()
    seeds = {p.stem for p in (DBT_PROJECT_DIR / "seeds").rglob("*.csv")}
    wrong = []
    for name, (layer, text) in models.items():
        level = DBT_LAYERS.index(layer)
        if layer != "staging" and _SOURCE.search(text):
            wrong.append(f"{name} ({layer}) reads a source: only staging may")
        for target in _REF.findall(text):
            if target in seeds:
                continue
            if target not in models:
                wrong.append(f"{name} refs unknown model {target}")
                continue
            target_level = DBT_LAYERS.index(models[target][0])
            # Reporting builds on the modelled layers only, never on staging's raw shapes.
            if target_level > level or (layer == "reporting" and target_level == 0):
                wrong.append(f"{name} ({layer}) reads {target} ({models[target][0]})")
    assert not wrong, "\n".join(sorted(wrong))


def test_dbt_one_models_yml_per_folder() -> None:
    folders: dict[Path, list[str]] = {}
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        if path.name.endswith("__models.yml"):
            folders.setdefault(path.parent, []).append(path.name)
    many = {str(k.relative_to(DBT_PROJECT_DIR)): v for k, v in folders.items() if len(v) > 1}
    assert not many, f"folders with more than one models yml: {many}"

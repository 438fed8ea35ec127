"""Layers point one way (docs/design.md, "Packages"): no import cycle, no private module reached from outside its package.

The graph is read from the source with :mod:`ast`, so it sees what a runtime import
trace would miss: imports inside functions (the usual way to hide a cycle) and the
lazy name maps (``_LAZY``) through which the package ``__init__`` modules re-export on
first use. ``if TYPE_CHECKING:`` imports are left out (they never run). The benchmarks
are scripts beside the packages and are checked with them.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("sweep", "objectives", "storage")
#: The dependency-free base every package may use: cache folder, errors, fault hooks, file lock, lazy re-exports,
#: output-path checks.
BASE = ("objectives.cache", "objectives.errors", "objectives.faults", "objectives.filelock", "objectives.lazy",
        "objectives.outputs")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")]
    files += list((REPO / "benchmarks").rglob("*.py"))
    return {_module_name(p): p for p in files if "_alembic" not in p.parts or p.name != "env.py"}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[tuple[str, list[str]]]:
    """(module, names) of every import statement that can run, at any depth."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets):
            if isinstance(node.value, ast.Dict):
                for value in node.value.values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        yield value.value, []
        stack.extend(ast.iter_child_nodes(node))


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, path in sources.items():
        for module, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            # Scripts in benchmarks/ put their own folder on sys.path and import siblings by bare name.
            if name.startswith("benchmarks.") and f"benchmarks.{module}" in sources:
                module = f"benchmarks.{module}"
            if module not in sources:
                continue
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in sources] or [module]
            graph[name].update(t for t in targets if t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _owner(module: str) -> str | None:
    """The package a private module belongs to (``a.b`` for ``a.b._c.d``), or None for a public module."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return _graph()


def test_the_graph_sees_hidden_and_lazy_imports(graph: dict[str, set[str]]) -> None:
    # A function-level import and a lazy re-export are edges, or the checks below prove nothing.
    assert "sweep.answer" in graph["sweep"], "sweep/__init__'s _LAZY map"
    assert "sweep.study._runner" in graph["sweep.study._workers"], "run_study imports the trial loop on the call"
    assert "objectives.objective" in graph["sweep.study._runner"]
    assert any(t.startswith("sweep._") for t in graph["sweep.confirm"]), "imports inside main()"
    assert "benchmarks._common" in graph["benchmarks.naive_trial"], "a script's sibling import"


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_module_is_imported_from_outside_its_package(graph: dict[str, set[str]]) -> None:
    bad = sorted(f"{src} -> {dst}" for src, targets in graph.items() for dst in targets
                 if (owner := _owner(dst)) is not None and not (src == owner or src.startswith(owner + ".")))
    assert bad == []


def test_layers_point_one_way(graph: dict[str, set[str]]) -> None:
    def reaches(src: str, prefix: str) -> list[str]:
        return sorted(t for t in graph[src] if t == prefix or t.startswith(prefix + "."))

    for module in graph:
        if module.startswith("storage"):
            # storage uses the dependency-free base of objectives and nothing else of it.
            assert set(reaches(module, "objectives")) <= set(BASE), module
            assert not reaches(module, "sweep"), module
        if module.startswith("objectives"):
            assert not reaches(module, "sweep") and not reaches(module, "storage"), module
    # sweep's stages: answer <- study <- reporting <- the commands; the shared base reaches no stage.
    stages = {"sweep.answer": ("sweep.study", "sweep.reporting"), "sweep.study": ("sweep.reporting",)}
    base = ("sweep._config", "sweep._cli", "sweep._provenance", "sweep._best_ratio")
    for module in graph:
        for stage, above in stages.items():
            if module == stage or module.startswith(stage + "."):
                assert not [t for prefix in above for t in reaches(module, prefix)], module
        if module in base:
            assert not [t for prefix in ("sweep.answer", "sweep.study", "sweep.reporting") for t in reaches(module, prefix)], module
    for module in BASE:
        stdlib = set(sys.stdlib_module_names) | {"__future__"}
        tree = ast.parse(_sources()[module].read_text(encoding="utf-8"))
        assert {m.split(".")[0] for m, _ in _imports(tree)} <= stdlib, module


def test_only_the_trial_entry_point_imports_optuna_in_objectives() -> None:
    for name, path in _sources().items():
        if name.startswith("objectives") and name != "objectives.objective":
            modules = {m.split(".")[0] for m, _ in _imports(ast.parse(path.read_text(encoding="utf-8")))}
            assert "optuna" not in modules, name

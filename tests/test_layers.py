"""The import graph is layered with no circle (docs/architecture.md §2, issue 14 point 4).

Layers, from the bottom: `touchline` (shared: settings, database, keys, migrations runner, project settings,
ports) imports none of the others; `ingest_api` and `orchestration` import `touchline` and never each other;
`generator` may import those below it except `orchestration`; `cli` (the command line and the demo) sits on top.
Every import counts, also one inside a function, so that a lazy import cannot hide a dependency. Within the
repository no module imports itself back through others (no circle).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# package -> the packages of this repository it may import (besides itself)
ALLOWED = {
    "touchline": set(),
    "ingest_api": {"touchline"},
    "orchestration": {"touchline"},
    "generator": {"touchline", "ingest_api"},
    "cli": {"touchline", "ingest_api", "orchestration", "generator"},
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The modules of `modules` that the file imports (absolute and relative, at any depth of the file)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `from a.b import c` where c is a name: the module a.b
                target = target.rpartition(".")[0]
            if target:
                found.add(target)
    return found


def import_graph(root: Path, packages) -> dict[str, set[str]]:
    files = {module_name(p, root): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    modules = set(files)
    return {name: imports_of(path, root, modules) - {name} for name, path in files.items()}


def layer_violations(graph: dict[str, set[str]], allowed: dict[str, set[str]]) -> list[str]:
    out = []
    for module, targets in sorted(graph.items()):
        top = module.split(".")[0]
        for target in sorted(targets):
            other = target.split(".")[0]
            if other != top and other not in allowed[top]:
                out.append(f"{module} imports {target}")
    return out


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_every_package_imports_only_the_layers_below_it():
    graph = import_graph(ROOT, ALLOWED)
    assert {m.split(".")[0] for m in graph} == set(ALLOWED)
    assert any(t.startswith("touchline") for t in graph["ingest_api.server"])  # the walk sees real imports
    assert layer_violations(graph, ALLOWED) == []


def test_no_module_imports_itself_through_others():
    assert circles(import_graph(ROOT, ALLOWED)) == []


def test_the_checks_fail_on_an_upward_import_and_a_circle(tmp_path):
    """What the two tests above would report if someone added such imports (also inside a function)."""
    (tmp_path / "touchline").mkdir()
    (tmp_path / "touchline" / "__init__.py").write_text("")
    (tmp_path / "touchline" / "a.py").write_text("def f():\n    from ingest_api.server import serve\n")
    (tmp_path / "touchline" / "b.py").write_text("from . import c\n")
    (tmp_path / "touchline" / "c.py").write_text("from touchline.b import x\n")
    (tmp_path / "ingest_api").mkdir()
    (tmp_path / "ingest_api" / "__init__.py").write_text("")
    (tmp_path / "ingest_api" / "server.py").write_text("import orchestration.run\n")
    (tmp_path / "orchestration").mkdir()
    (tmp_path / "orchestration" / "__init__.py").write_text("")
    (tmp_path / "orchestration" / "run.py").write_text("from touchline import a\n")
    graph = import_graph(tmp_path, ["touchline", "ingest_api", "orchestration"])
    assert layer_violations(graph, ALLOWED) == [
        "ingest_api.server imports orchestration.run",
        "touchline.a imports ingest_api.server",
    ]
    assert circles(graph) == [["ingest_api.server", "orchestration.run", "touchline.a"], ["touchline.b", "touchline.c"]]

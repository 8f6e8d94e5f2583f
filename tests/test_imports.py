"""The package's import graph, read from the sources with `ast` (ARCHITECTURE.md, issue 19):
no cycle, and no module outside `catalog/cli/` imports the CLI.

Every `import` counts, at module level or inside a function (a function-level import is a
dependency too; it only runs later). Imports under `if TYPE_CHECKING:` do not run and do not
count. An edge goes to the module named: `from . import x` names the module `x` when it is one,
else the package; the parent packages Python runs on the way are not edges (every module would
then depend on `catalog/__init__.py`)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .conftest import FIXTURES, REPO

Graph = dict[str, set[str]]


def module_name(path: Path, top: Path) -> str:
    parts = list(path.relative_to(top.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement under `node`, at any depth, except the bodies of `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            found.append(child)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                found += _imports(ast.Module(body=[other], type_ignores=[]))
        else:
            found += _imports(child)
    return found


def import_graph(top: Path) -> Graph:
    """Module → the package's modules it imports, for the package folder `top`."""
    files = {module_name(p, top): p for p in sorted(top.rglob("*.py"))}
    graph: Graph = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            graph[name].update(t for t in targets if t in files and t != name)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def cli_importers(graph: Graph, cli: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Modules outside the `cli` package (and not `allowed`) that import any module of it."""
    inside = {m for m in graph if m == cli or m.startswith(cli + ".")}
    return sorted(m for m, targets in graph.items() if m not in inside | allowed and targets & inside)


# `python -m catalog` runs this entry point, which nothing imports (like the `catalog` script)
ENTRY_POINTS = frozenset({"catalog.__main__"})


def test_the_catalog_import_graph_has_no_cycle() -> None:
    graph = import_graph(REPO / "catalog")
    assert {"catalog.cli", "catalog.cli.validate", "catalog.validate"} <= set(graph)  # it read the package
    assert cycles(graph) == []


def test_no_stage_imports_the_cli() -> None:
    assert cli_importers(import_graph(REPO / "catalog"), "catalog.cli", ENTRY_POINTS) == []


def test_the_reader_sees_function_level_imports_and_skips_type_checking_blocks() -> None:
    """The checks on a small package (tests/fixtures/imports/pkg) whose defects are known."""
    graph = import_graph(FIXTURES / "imports" / "pkg")
    assert graph["pkg.chain_a"] == {"pkg.chain_b"}  # `from . import chain_b`: the module
    assert graph["pkg.chain_b"] == {"pkg.stage"}  # inside a function
    assert graph["pkg.stage"] == {"pkg.cli.commands"}  # both TYPE_CHECKING forms skipped
    assert graph["pkg.left"] == {"pkg.right"}  # `import pkg.right` inside a function
    assert cycles(graph) == [["pkg.left", "pkg.right"]]
    assert cli_importers(graph, "pkg.cli") == ["pkg.stage"]


def test_help_loads_no_stage_behind_a_command() -> None:
    """`python -m catalog --help` (as batch engines call it) works and stays fast: the command
    modules import their stages inside the command functions, so none of these is loaded."""
    script = (
        "import runpy, sys\n"
        "sys.argv = ['catalog', '--help']\n"
        "try:\n"
        "    runpy.run_module('catalog', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "validate" in done.stdout and "links" in done.stdout and "dispatch" in done.stdout
    loaded = set(done.stderr.split())
    heavy = {"requests", "mkdocs", "nbformat", "catalog.render.site", "catalog.reproduce.runner", "catalog.links"}
    assert {"catalog.cli.links", "catalog.cli.reproduce"} <= loaded and loaded.isdisjoint(heavy)

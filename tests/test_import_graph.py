"""The import graph of hub/, triggers/ and actions/ has no cycle, counting imports inside functions too.

An import inside a function that exists only to break a cycle still makes the lower module
depend on the higher one at run time, so every import statement counts, wherever it is; only
imports under `if TYPE_CHECKING:` do not, since they never run. `import a.b.c` and
`from a.b import c` are edges to the module a.b.c (or to a.b when c is a name in it).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hub", "triggers", "actions")


def modules() -> dict[str, Path]:
    """Every module of the packages (migrations excluded: Alembic loads them by path), by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            elif not _type_checking_only(child):
                stack.append(child)
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of the packages that this module imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        for target in names:  # the module itself, or the nearest package holding the imported name
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
    return targets


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_packages_import_each_other_without_a_cycle():
    known = modules()
    graph = {name: imported(name, path, known) for name, path in known.items()}
    assert "hub.work.queueing" in graph["hub.hooks.outbox"]  # the walk sees real edges
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_a_cycle_through_an_import_inside_a_function_is_found():
    graph = {"low": {"high"}, "high": set()}
    assert find_cycle(graph) is None
    tree = ast.parse("def late():\n    from low import x\n")
    assert [node.module for node in _imports(tree)] == ["low"]
    graph["high"].add("low")
    assert find_cycle(graph) == ["high", "low", "high"]

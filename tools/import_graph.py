"""Print the import graph of the ``w2vcli`` package and exit 1 if it has a cycle.

    python tools/import_graph.py            # module-level imports: what importing a module runs
    python tools/import_graph.py --all      # also count the imports inside functions
    python tools/import_graph.py --package DIR

The source is parsed with :mod:`ast`; nothing is imported. A module-level import is one that
runs when the module is imported: a statement in the module body, also inside a module-level
``if``/``try``/``with`` or a class body, but not inside a function and not under
``if TYPE_CHECKING:``. Imports inside functions ("deferred": they run when the function is first
called) are listed separately; the cycle check counts them only with ``--all``, where a cycle
means that the layers of DESIGN.md are not a hierarchy (a lower module reaches up), even if no
import fails today.

Only edges between modules of the package are shown (``w2vcli`` itself is ``__init__.py``).
Exit status: 0 without a cycle, 1 with one (each cycle found is printed), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_names(package: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every ``.py`` file under ``package``."""
    base = package.name
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join([base, *parts])] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(nodes, deferred: bool):
    """Yield ``(import statement, deferred)`` for every import among ``nodes``, recursively."""
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, deferred
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _imports(ast.iter_child_nodes(node), True)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _imports(node.orelse, deferred)  # the body never runs
        else:  # if/try/with/for/class bodies at module level run at import time
            yield from _imports(ast.iter_child_nodes(node), deferred)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
             known: dict[str, Path]) -> set[str]:
    """The package modules that an import statement in ``module`` loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            anchor = module.split(".") if is_package else module.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            source = ".".join(anchor + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        # "from pkg import name": name is a submodule if there is such a file, else an attribute.
        names = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                 for alias in node.names]
    found = set()
    for name in names:
        while name and name not in known:  # "import pkg.a.b" loads pkg.a.b (and its parents)
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def import_graph(package: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """``(module_level, deferred)``: for each module, the package modules it imports."""
    known = module_names(package)
    module_level: dict[str, set[str]] = {name: set() for name in known}
    deferred: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, inside_function in _imports(tree.body, False):
            targets = _targets(node, name, path.name == "__init__.py", known)
            (deferred if inside_function else module_level)[name] |= targets
    for name in known:
        deferred[name] -= module_level[name]
    return module_level, deferred


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component that has one (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:  # the package has a few dozen modules: recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(sorted(c), graph) for c in components]


def _cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A path ``a -> ... -> a`` inside a strongly connected component (breadth-first)."""
    members = set(component)
    start = component[0]
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return [start, start]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, default=ROOT / "w2vcli",
                        help="package directory (default: the w2vcli beside this script)")
    parser.add_argument("--all", action="store_true",
                        help="count imports inside functions in the cycle check too")
    args = parser.parse_args(argv)
    if not (args.package / "__init__.py").is_file():
        parser.error(f"{args.package} is not a package directory (no __init__.py)")
    module_level, deferred = import_graph(args.package)
    print("module-level imports (run when the module is imported):")
    for name in sorted(module_level):
        print(f"  {name} -> {', '.join(sorted(module_level[name])) or '-'}")
    print("imports inside functions (run when the function is called):")
    for name in sorted(deferred):
        if deferred[name]:
            print(f"  {name} -> {', '.join(sorted(deferred[name]))}")
    checked = ({n: module_level[n] | deferred[n] for n in module_level} if args.all
               else module_level)
    what = "all imports" if args.all else "module-level imports"
    cycles = find_cycles(checked)
    for cycle in cycles:
        print(f"cycle ({what}): {' -> '.join(cycle)}")
    if not cycles:
        print(f"no cycle ({what})")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())

"""How the vidsense modules depend on each other: no import cycles, no private names read
across packages.

The import graph is read from the source with :mod:`ast` (nothing is imported): every
``import``/``from ... import`` of a vidsense module counts, at the top of a module, inside a
function (a lazy import that breaks a cycle at run time is still a cycle in the design) or
under ``if TYPE_CHECKING:``. Importing ``vidsense.a.b`` also runs ``vidsense.a``'s
``__init__``, so it counts as importing that package too.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import vidsense

SOURCE = Path(vidsense.__file__).parent
ROOT = SOURCE.parent

ALLOWED_EDGES = {
    # The root package re-exports the client lazily (PEP 562 ``__getattr__``), so that
    # ``import vidsense`` stays light; the client reads ``vidsense.__version__`` from it.
    ("vidsense", "vidsense.client"): "lazy re-export of vidsense.Client",
}
"""Import edges left out of the cycle check, each with the reason it is harmless."""

ALLOWED_PRIVATE_READS = {
    # Reads of private attributes that are known, as (module, attribute), with the reason.
    ("vidsense.words", "_morphy"): "NLTK's WordNet reader has no public call "
    "that returns every morphological form of a word (morphy returns the first)",
}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool

    @property
    def package(self) -> str:
        """The package this module belongs to (itself, for a package's ``__init__``)."""
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def tree(self) -> ast.Module:
        return _parsed(self.path)


@functools.cache
def _parsed(path: Path) -> ast.Module:
    """The module's syntax tree, parsed once per test session (several checks walk it)."""
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


@functools.cache
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join(parts)
        found[name] = Module(name, path, is_package)
    return found


def imported_names(module: Module) -> Iterator[tuple[str, str | None, int]]:
    """``(module imported from, name imported or None, line)`` for every import statement
    anywhere in the module (top level, functions, TYPE_CHECKING blocks)."""
    for node in ast.walk(module.tree()):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                yield source, alias.name, node.lineno


def _owner(name: str, known: dict[str, Module]) -> str | None:
    """The vidsense module that defines ``name`` (the longest known prefix)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """module -> the vidsense modules it imports (and the packages that runs)."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, module in known.items():
        for source, imported, _ in imported_names(module):
            if source != "vidsense" and not source.startswith("vidsense."):
                continue
            full = f"{source}.{imported}" if imported else source
            target = full if full in known else _owner(source, known)
            if target is None:
                continue
            # Importing a.b.c runs a and a.b first: edges to those packages too, except to
            # the packages this module sits in (they are running already).
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                step = ".".join(parts[:i])
                inside = name == step or name.startswith(step + ".")
                if step != name and not inside and (name, step) not in ALLOWED_EDGES:
                    graph[name].add(step)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    # top level, inside a function, and the package an import runs
    assert "vidsense.models.base" in graph["vidsense.models.whisper"]
    assert "vidsense.perception.analyze" in graph["vidsense.library.service"]  # in a function
    assert "vidsense.perception" in graph["vidsense.library.service"]  # the package it runs
    assert "vidsense.library" not in graph["vidsense.library.service"]  # its own package
    # a made-up cycle is found
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = cycles(graph)
    described = [
        " <-> ".join(group)
        + "\n"
        + "\n".join(f"    {m} imports {sorted(set(group) & graph[m])}" for m in group)
        for group in found
    ]
    assert not found, "import cycles among vidsense modules:\n" + "\n".join(described)


def _top_package(name: str) -> str:
    """``vidsense.search.service`` -> ``vidsense.search`` (the package a module belongs to)."""
    return ".".join(name.split(".")[:2])


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_names(tree: ast.Module) -> set[str]:
    """Names a module defines or assigns anywhere (its own private attributes among them)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def private_reads() -> list[str]:
    """``from vidsense.x import _y`` across packages, and ``something._y`` reads of a private
    attribute the reading module does not define itself (``self``/``cls`` excepted)."""
    problems = []
    known = modules()
    for name, module in known.items():
        for source, imported, line in imported_names(module):
            if imported is None or not _private(imported) or not source.startswith("vidsense"):
                continue
            if _top_package(source) != _top_package(name):
                problems.append(f"{name}:{line} imports {imported} from {source}")
        tree = module.tree()
        own = _defined_names(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if node.attr in own or (name, node.attr) in ALLOWED_PRIVATE_READS:
                continue
            problems.append(f"{name}:{node.lineno} reads {ast.unparse(node)}")
    return problems


def test_no_private_names_read_across_packages() -> None:
    found = private_reads()
    assert not found, "private names used outside their module:\n" + "\n".join(found)


def test_allowed_exceptions_still_exist() -> None:
    """An exception that no longer applies is removed, so the lists stay short."""
    graph_without = import_graph()
    for (importer, imported), why in ALLOWED_EDGES.items():
        text = modules()[importer].path.read_text(encoding="utf-8")
        assert imported in text, f"{importer} no longer imports {imported} ({why}): drop it"
        assert imported not in graph_without[importer]
    for (module, attr), why in ALLOWED_PRIVATE_READS.items():
        path = modules()[module].path if module in modules() else None
        assert path is not None and f"._{attr.lstrip('_')}" in path.read_text(encoding="utf-8"), (
            f"{module} no longer reads {attr} ({why}): drop it from ALLOWED_PRIVATE_READS"
        )

"""The house's rules, read from the source: packages by job in layers, no import circles,
and a core that knows nothing of the command line or the desk.

Every import counts, the ones inside functions too: a lazy import still ties two modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import newsdesk

PACKAGE = Path(newsdesk.__file__).parent

# Each layer may import its own modules and those of the layers before it, never after.
# The core is the package's top-level modules (config, newsroom, issue, items, store...).
LAYERS: list[set[str]] = [
    {"core"},
    {"feeds"},
    {"curation"},
    {"output"},
    {"mail", "publish"},
    {"web"},  # the subscriber service, over the list (mail)
    {"tui"},
    {"cli"},  # the `edit` command opens the desk
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The newsdesk modules ``name`` imports (``from newsdesk.x import y`` counts as
    newsdesk.x.y when y is a module, else as newsdesk.x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("newsdesk"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("newsdesk"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return {module for module in found if module in known and module != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def package_of(module: str) -> str:
    if module == "newsdesk.__main__":  # `python -m newsdesk`
        return "cli"
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()):
        return parts[1]
    return "core"


def layer_of(module: str) -> int:
    package = package_of(module)
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    raise AssertionError(f"{module}: package {package!r} is in no layer of tests/unit/test_architecture.py")


def test_every_package_is_in_a_layer():
    for module in modules():
        layer_of(module)


def test_no_module_imports_a_later_layer_or_a_sibling_package():
    wrong = []
    for module, imported in graph().items():
        for other in imported:
            if package_of(other) == package_of(module) or package_of(other) == "core":
                continue
            if layer_of(other) >= layer_of(module):
                wrong.append(f"{module} imports {other}")
    assert sorted(wrong) == []


def test_no_import_circles():
    edges = graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for other in sorted(edges[module]):
            if state.get(other) == 1:
                circles.append([*path[path.index(other) :], other])
            elif other not in state:
                visit(other, [*path, other])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert [" -> ".join(circle) for circle in circles] == []


def test_the_core_never_names_the_cli_or_the_desk():
    """Not in an import, and not in a string handed to one (a preload list, a patch)."""
    offenders = []
    for module, path in modules().items():
        if package_of(module) in ("cli", "tui") or module.endswith("__main__"):
            continue
        tree = ast.parse(path.read_text(), str(path))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and ("newsdesk.cli" in node.value or "newsdesk.tui" in node.value)
            ):
                offenders.append(f"{module}: {node.value!r}")
    assert offenders == []

"""The import graph of smsgate, read with ast: no cycle between modules, no function-local import
that hides one, and no cycle between the top-level folders (slices), not even through the modules
at the package's top that sit between them (context.py, dependencies.py, ...)."""

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "smsgate"

# Function-local imports that only defer loading (start-up cost), never hide a cycle.
LAZY_ON_PURPOSE = {
    # `smsgate <command>` loads the server and web app only for the commands that run them.
    ("smsgate.cli.server", "smsgate.cli.processes"),
    # A deployment loads only the provider libraries it configures.
    ("smsgate.delivery.providers.registry", "smsgate.delivery.providers.sandbox"),
    ("smsgate.delivery.providers.registry", "smsgate.delivery.providers.kannel"),
    ("smsgate.delivery.providers.registry", "smsgate.delivery.providers.aliyun"),
    ("smsgate.delivery.providers.registry", "smsgate.delivery.providers.tencent"),
    ("smsgate.delivery.providers.registry", "smsgate.delivery.providers.twilio"),
    ("smsgate.delivery.providers.registry", "smsgate.delivery.providers.smpp.config"),
    ("smsgate.delivery.providers.registry", "smsgate.delivery.providers.smpp.provider"),
    ("smsgate.delivery.providers.registry", "smsgate.delivery.voice.sip_provider"),
    # SMS-only deployments skip the audio code (numpy-free WAV writing, espeak).
    ("smsgate.delivery.providers.sandbox", "smsgate.delivery.voice.sandbox_audio"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """Full names of what `node` imports (a module, or the module a name comes from)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = module.split(".")
    if MODULES[module].name != "__init__.py":
        base = base[:-1]
    if node.level:
        base = base[: len(base) - node.level + 1]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        yield sub if sub in MODULES else target


def imports(module: str) -> tuple[set[str], set[str]]:
    """What a module imports when loaded, and what its functions import when they run (imports
    under `if TYPE_CHECKING:` are neither)."""
    eager: set[str] = set()
    lazy: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                (lazy if in_function else eager).update(imported(module, child))
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, in_function or inner)

    visit(ast.parse(MODULES[module].read_text()), False)
    return eager, lazy


GRAPH = {module: imports(module) for module in MODULES}


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while (member := stack.pop()) != node:
                component.add(member)
            component.add(node)
            if len(component) > 1:
                found.append(component)

    for node in list(edges):
        if node not in index:
            connect(node)
    return found


def folder(module: str) -> str | None:
    """The top-level folder (slice) a module is in; None for modules at the top."""
    parts = module.split(".")
    in_folder = len(parts) > 2 or MODULES[module].name == "__init__.py"
    return parts[1] if in_folder and len(parts) > 1 else None


def test_no_function_local_import_but_the_deliberately_lazy_ones() -> None:
    local = {(module, target) for module, (_, lazy) in GRAPH.items() for target in lazy}
    assert local - LAZY_ON_PURPOSE == set()


def test_no_cycle_between_modules_even_through_function_local_imports() -> None:
    edges = {
        module: {target for target in eager | lazy if target in MODULES}
        for module, (eager, lazy) in GRAPH.items()
    }
    assert cycles(edges) == []


def folder_targets(module: str) -> Iterator[str]:
    """The folders a module imports from, directly or through top-level modules."""
    seen = {module}
    waiting = [module]
    while waiting:
        eager, lazy = GRAPH[waiting.pop()]
        for target in {t for t in eager | lazy if t in MODULES and t not in seen}:
            seen.add(target)
            to = folder(target)
            if to is None:
                waiting.append(target)
            else:
                yield to


def test_no_cycle_between_folders() -> None:
    edges: dict[str, set[str]] = {}
    for module in GRAPH:
        source = folder(module)
        if source:
            edges.setdefault(source, set()).update(set(folder_targets(module)) - {source})
    assert cycles(edges) == []

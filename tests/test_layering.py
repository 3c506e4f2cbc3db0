"""Import layering: the dependency rules of architecture.md, checked on the source with `ast`.

Nothing is imported: every module of the project's packages is parsed, and every import between
them is collected, at module level, under `if TYPE_CHECKING:` and inside functions (an import hidden
in a function is still an arrow, and usually one that points the wrong way). The rules:

- layers: `config` (wiring) → subscriber apps (`notifications`, `realtime`) and `web` → domain apps
  (`collective`, `messaging`, `payments`, `onboarding`) → `core`. An import from a lower layer into a
  higher one is an upward arrow. A domain app imports no part of `realtime` (its services announce
  domain events; realtime's fan-out, `realtime/subscribers.py`, subscribes and publishes); and no
  domain module imports a subscriber module (`notifications`, its old home `messaging.notifications` /
  `messaging.sms`, any `subscribers` module) but its own `apps.py`;
- nothing imports an `api` package but urls modules (`*/urls.py`, `*/urls_*.py`, `config/urls.py`)
  and the api package itself;
- `core` imports no other package of the project;
- no import cycles between packages.

Today's violations are `KNOWN`, each with its reason: a new one fails the test, and so does a `KNOWN`
entry that matches nothing any more, so the list only shrinks. The files are read as they are, so the
test follows code that moves between apps (patterns such as `*notifications.triggers` match both the
old and the new home). Run with `-s` to see the summary.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS = {
    "config": 3,
    "notifications": 2,
    "realtime": 2,
    "web": 2,
    "insights": 2,  # community health: reads collective and notifications; nothing imports it but urls
    "collective": 1,
    "messaging": 1,
    "payments": 1,
    "onboarding": 1,
    "core": 0,
}
PACKAGES = [name for name in LAYERS if (ROOT / name / "__init__.py").exists()]
DOMAIN = {"collective", "messaging", "payments", "onboarding"}
SUBSCRIBER_MODULES = ("notifications", "messaging.notifications", "messaging.sms")


@dataclass(frozen=True)
class Import:
    source: str  # importing module, e.g. "collective.services.connections"
    target: str  # imported module, e.g. "notifications.triggers"
    line: int
    scope: str  # "module", "typing" (under TYPE_CHECKING) or "function"

    @property
    def source_package(self) -> str:
        return self.source.split(".")[0]

    @property
    def target_package(self) -> str:
        return self.target.split(".")[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def collect_imports(modules: dict[str, Path]) -> list[Import]:
    found: set[Import] = set()
    for name, path in modules.items():
        is_package = path.name == "__init__.py"

        def targets(node: ast.Import | ast.ImportFrom, name: str = name, is_package: bool = is_package) -> list[str]:
            if isinstance(node, ast.Import):
                return [alias.name for alias in node.names]
            if node.level:  # relative: resolve against the importing module's package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from messaging import notifications` imports the submodule when there is one.
            return [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]

        def visit(node: ast.AST, scope: str, name: str = name) -> None:
            for child in ast.iter_child_nodes(node):
                inner = scope
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    inner = "function"
                elif isinstance(child, ast.If) and scope == "module" and is_type_checking(child.test):
                    for stmt in child.body:
                        visit(ast.Module(body=[stmt], type_ignores=[]), "typing")
                    for stmt in child.orelse:
                        visit(ast.Module(body=[stmt], type_ignores=[]), scope)
                    continue
                if isinstance(child, ast.Import | ast.ImportFrom):
                    for target in targets(child):
                        if target.split(".")[0] in PACKAGES:
                            found.add(Import(name, target, child.lineno, inner))
                visit(child, inner)

        visit(ast.parse(path.read_text(), str(path)), "module")
    return sorted(found, key=lambda i: (i.source, i.target, i.line))


def within(module: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def api_package(module: str) -> str | None:
    """`collective.api` for `collective.api.offers`; None outside an api package."""
    parts = module.split(".")
    return ".".join(parts[: parts.index("api") + 1]) if "api" in parts else None


def is_subscriber(module: str) -> bool:
    return within(module, SUBSCRIBER_MODULES) or "subscribers" in module.split(".")


def is_urls(module: str) -> bool:
    last = module.split(".")[-1]
    return last == "urls" or last.startswith("urls_")


def violations(imports: list[Import]) -> set[tuple[str, str, str]]:
    """(rule, source module, target module) for every import that breaks a rule."""
    found = set()
    for imp in imports:
        src, dst = imp.source, imp.target
        if imp.source_package == "core" and imp.target_package != "core":
            found.add(("core", src, dst))
        elif imp.source_package in DOMAIN and is_subscriber(dst) and not is_subscriber(src):
            if not (src.endswith(".apps") and imp.source_package == imp.target_package):
                found.add(("domain->subscriber", src, dst))
        elif LAYERS[imp.source_package] < LAYERS[imp.target_package]:
            found.add(("upward", src, dst))
        target_api = api_package(dst)
        if target_api and api_package(src) != target_api and not is_urls(src):
            found.add(("api", src, dst))
    return found


def package_graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for imp in imports:
        if imp.source_package != imp.target_package:
            graph[imp.source_package].add(imp.target_package)
    return graph


def tangles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one package: each package of one reaches every other."""
    reach = {p: set() for p in graph}
    for p in graph:
        stack = [p]
        while stack:
            for nxt in graph[stack.pop()]:
                if nxt not in reach[p]:
                    reach[p].add(nxt)
                    stack.append(nxt)
    components = {frozenset({p} | {q for q in reach[p] if p in reach[q]}) for p in graph}
    return sorted((c for c in components if len(c) > 1), key=sorted)


def mutual_pairs(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Pairs of packages that import each other directly: the shortest cycles."""
    return {frozenset({a, b}) for a in graph for b in graph[a] if a in graph[b]}


def simple_cycle_count(graph: dict[str, set[str]]) -> int:
    count = 0

    def walk(start: str, node: str, seen: set[str]) -> None:
        nonlocal count
        for nxt in graph[node]:
            if nxt == start:
                count += 1
            elif nxt > start and nxt not in seen:  # each cycle counted once, from its smallest package
                walk(start, nxt, seen | {nxt})

    for start in graph:
        walk(start, start, {start})
    return count


# (rule, source pattern, target pattern, reason). Patterns are fnmatch patterns over module names.
KNOWN: list[tuple[str, str, str, str]] = []

# Packages that import each other directly, with the arrows that make the pair.
KNOWN_MUTUAL: list[tuple[str, str, str]] = []
# The packages tangled in one strongly connected component today (every one reaches every other).
# A package joining it, or a second tangle, fails; when it shrinks, shrink this.
KNOWN_TANGLES: list[frozenset[str]] = []


def known_match(violation: tuple[str, str, str]) -> tuple[str, str, str, str] | None:
    rule, src, dst = violation
    for entry in KNOWN:
        if entry[0] == rule and fnmatchcase(src, entry[1]) and fnmatchcase(dst, entry[2]):
            return entry
    return None


def summary(imports: list[Import], found: set[tuple[str, str, str]], graph: dict[str, set[str]]) -> str:
    inside = [i for i in imports if i.scope == "function"]
    crossing = [i for i in inside if i.source_package != i.target_package]
    upward = {v for v in found if v[0] != "api"}
    return (
        f"layering: {len(imports)} imports between the project's modules ({', '.join(PACKAGES)}); "
        f"package cycles: {simple_cycle_count(graph)} simple cycles, {len(mutual_pairs(graph))} mutual pairs, "
        f"tangles {[sorted(t) for t in tangles(graph)]}; {len(upward)} upward arrows (module pairs: "
        f"{sum(v[0] == 'domain->subscriber' for v in found)} domain → subscriber, "
        f"{sum(v[0] == 'core' for v in found)} core → others, {sum(v[0] == 'upward' for v in found)} other upward); "
        f"{sum(v[0] == 'api' for v in found)} api imports from outside urls; "
        f"{len(inside)} imports inside functions ({len(crossing)} of them across packages)"
    )


def test_no_new_layering_violation_and_no_stale_known_entry():
    imports = collect_imports(project_modules())
    found = violations(imports)
    print("\n" + summary(imports, found, package_graph(imports)))
    for imp in imports:
        if imp.scope == "function" and imp.source_package != imp.target_package:
            print(f"  inside a function: {imp.source}:{imp.line} → {imp.target}")

    new = sorted(v for v in found if known_match(v) is None)
    assert not new, "new layering violations (fix the import, or add to KNOWN with a reason):\n" + "\n".join(
        f"  [{rule}] {src} → {dst}" for rule, src, dst in new
    )
    stale = [entry for entry in KNOWN if not any(known_match(v) == entry for v in found)]
    assert not stale, "KNOWN entries that no longer happen (remove them):\n" + "\n".join(
        f"  [{rule}] {src} → {dst}" for rule, src, dst, _ in stale
    )


def test_no_new_package_cycle_and_no_stale_known_cycle():
    graph = package_graph(collect_imports(project_modules()))
    pairs = mutual_pairs(graph)
    known = {frozenset({a, b}) for a, b, _ in KNOWN_MUTUAL}
    new = sorted(sorted(p) for p in pairs - known)
    assert not new, f"packages that now import each other: {new}"
    stale = sorted(sorted(p) for p in known - pairs)
    assert not stale, f"KNOWN_MUTUAL pairs that no longer import each other (remove them): {stale}"
    found = tangles(graph)
    grown = [sorted(t) for t in found if not any(t <= known for known in KNOWN_TANGLES)]
    assert not grown, f"import cycles through packages not in KNOWN_TANGLES: {grown}"
    shrunk = [sorted(k) for k in KNOWN_TANGLES if k not in found]
    assert not shrunk, f"KNOWN_TANGLES that changed (now {[sorted(t) for t in found]}): update {shrunk}"


def test_the_checker_sees_what_it_should():
    """The rules themselves, on made-up imports (so a broken collector cannot pass silently)."""
    fake = [
        Import("collective.services.x", "notifications.triggers", 1, "function"),
        Import("collective.apps", "collective.subscribers", 1, "function"),
        Import("collective.services.x", "realtime.publish", 1, "module"),
        Import("collective.services.x", "realtime.presence", 1, "module"),
        Import("core.x", "collective.models", 1, "module"),
        Import("messaging.services", "collective.api.common", 1, "module"),
        Import("collective.api.urls", "collective.api.offers", 1, "module"),
        Import("config.urls", "messaging.api.urls", 1, "module"),
        Import("notifications.x", "collective.models", 1, "module"),
    ]
    known_packages = [p for p in ("collective", "core", "messaging", "realtime", "config") if p in PACKAGES]
    if len(known_packages) < 5 or "notifications" not in PACKAGES:
        return  # the fake modules' packages are not all present in this tree
    assert violations(fake) == {
        ("domain->subscriber", "collective.services.x", "notifications.triggers"),
        ("upward", "collective.services.x", "realtime.publish"),
        ("upward", "collective.services.x", "realtime.presence"),
        ("core", "core.x", "collective.models"),
        ("api", "messaging.services", "collective.api.common"),
    }
    # The real tree: the collector finds imports in functions and resolves relative imports.
    imports = collect_imports(project_modules())
    assert any(i.scope == "function" for i in imports)
    assert all(i.target.split(".")[0] in PACKAGES for i in imports)
    fake_graph = package_graph(fake)
    assert mutual_pairs(fake_graph) == {frozenset({"collective", "notifications"})}
    assert tangles(fake_graph) == [frozenset({"collective", "notifications"})]
    assert simple_cycle_count(fake_graph) == 1

"""The shape of cms/, kept by a test: layers import downwards, and no part imports in a circle.

plumbing (config, extensions, clock, models, kernel) < markup < features < web, ops, wordpress;
features may use one another without a cycle; the public web and the desk never import each
other; only create_app, in cms/__init__.py, imports everything."""

import ast
from collections import defaultdict
from graphlib import TopologicalSorter

import pytest

from cms import PROJECT_ROOT

CMS = PROJECT_ROOT / "cms"
RANK = {"config": 0, "extensions": 0, "clock": 0, "models": 1, "kernel": 2, "markup": 3}
RANK |= dict.fromkeys(("web", "ops", "wordpress"), 5)
FEATURE = 4  # any other first-level part


def _module_exists(dotted: str) -> bool:
    path = PROJECT_ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports() -> set[tuple[str, str]]:
    """(importer, imported) module names within cms, imports inside functions included."""
    edges = set()
    for path in CMS.rglob("*.py"):
        name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(
            ".__init__"
        )
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {(name, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""
                module = ".".join(filter(None, (base, node.module)))
                for alias in node.names:
                    target = f"{module}.{alias.name}"
                    edges.add((name, target if _module_exists(target) else module))
    return {(a, b) for a, b in edges if b == "cms" or b.startswith("cms.")}


EDGES = _imports()


def _part(name: str, depth: int = 1) -> str:
    return ".".join(name.split(".")[1 : 1 + depth])


def test_imports_point_down_and_only_create_app_imports_the_package_root():
    wrong = []
    for importer, imported in sorted(EDGES):
        a, b = _part(importer), _part(imported)
        if importer == "cms" or a == b:
            continue
        rank_a, rank_b = RANK.get(a, FEATURE), RANK.get(b, FEATURE)
        if not b or not (rank_b < rank_a or rank_a == rank_b == FEATURE):
            wrong.append(f"{importer} -> {imported}")
    assert wrong == []


def test_markup_is_pure_text_machinery():
    """No app, no database: markup imports nothing of cms but the plumbing's text helpers."""
    used = {_part(b, 2) for a, b in EDGES if _part(a) == "markup" and _part(b) != "markup"}
    assert used <= {"kernel.text"}


def test_the_public_web_and_the_desk_never_import_each_other():
    pairs = {(_part(a, 2), _part(b, 2)) for a, b in EDGES}
    assert not pairs & {("web.public", "web.desk"), ("web.desk", "web.public")}


PACKAGES = sorted(
    ".".join(p.parent.relative_to(PROJECT_ROOT).parts) for p in CMS.rglob("__init__.py")
)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_among_the_parts_of(package: str):
    depth, graph = package.count(".") + 1, defaultdict(set)
    for a, b in EDGES:
        if a.startswith(package + ".") and b.startswith(package + "."):
            part_a, part_b = a.split(".")[depth], b.split(".")[depth]
            if part_a != part_b:
                graph[part_a].add(part_b)
    TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle

"""The package's layout as docs/architecture.md states it: imports point down the stages, no circles."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "boundcalc"


def documented_stages(text: str) -> dict[str, int]:
    block = text.split("<!-- stages: begin -->", 1)[1].split("<!-- stages: end -->", 1)[0]
    stages = {}
    for line in block.splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|(.*)\|\s*$", line)
        if m:
            for name in re.findall(r"`([^`]+)`", m.group(2)):
                stages[name] = int(m.group(1))
    return stages


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def import_edges(mods: dict[str, Path]) -> set[tuple[str, str]]:
    """(importer, imported) for every import of a boundcalc module, at any depth of the code."""
    edges = set()
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        if mod == "__init__":
            package = ""
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".") if package else []
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                elif node.module and (node.module == "boundcalc" or node.module.startswith("boundcalc.")):
                    stem = node.module.removeprefix("boundcalc").lstrip(".")
                else:
                    continue
                for alias in node.names:  # "from .pkg import module" imports the module itself
                    sub = f"{stem}.{alias.name}" if stem else alias.name
                    targets.append(sub if sub in mods else (stem or "__init__"))
            elif isinstance(node, ast.Import):
                targets = [a.name.removeprefix("boundcalc").lstrip(".") or "__init__" for a in node.names
                           if a.name == "boundcalc" or a.name.startswith("boundcalc.")]
            edges.update((mod, t) for t in targets if t != mod)
    return edges


def stage_of(mod: str, stages: dict[str, int]) -> tuple[str, int]:
    group = mod.split(".")[0]
    if group not in stages:
        raise KeyError(mod)
    return group, stages[group]


STAGES = documented_stages((ROOT / "docs" / "architecture.md").read_text())
MODULES = modules()
EDGES = import_edges(MODULES)


def test_every_module_has_a_documented_stage():
    missing = sorted(m for m in MODULES if m.split(".")[0] not in STAGES)
    assert not missing, f"modules missing from docs/architecture.md's stage table: {missing}"


def test_imports_point_down_the_stages():
    upward = []
    for src, dst in sorted(EDGES):
        (g_src, s_src), (g_dst, s_dst) = stage_of(src, STAGES), stage_of(dst, STAGES)
        if g_src != g_dst and s_dst >= s_src:
            upward.append(f"{src} (stage {s_src}) imports {dst} (stage {s_dst})")
    assert not upward, "imports that do not point down the stages:\n" + "\n".join(upward)


def test_no_import_circles():
    graph: dict[str, set[str]] = {}
    for src, dst in EDGES:
        graph.setdefault(src, set()).add(dst)
    # A package's __init__ re-exporting its own modules is not a circle of code: drop those arrows.
    for src, dsts in graph.items():
        if MODULES[src].name == "__init__.py":
            graph[src] = {d for d in dsts if not d.startswith(src + ".") and src != "__init__"}
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
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
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


@pytest.mark.parametrize("bad", [("nets.two_layer", "theory.bounds"), ("linalg.operators", "problems")])
def test_the_rule_catches_an_upward_import(bad):
    src, dst = bad
    (g_src, s_src), (g_dst, s_dst) = stage_of(src, STAGES), stage_of(dst, STAGES)
    assert g_src != g_dst and s_dst >= s_src


def test_the_walker_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "boundcalc"
    (pkg / "nets").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "nets" / "__init__.py").write_text("from .two_layer import X\n")
    (pkg / "nets" / "two_layer.py").write_text("def f():\n    from ..theory.bounds import y\n")
    (pkg / "theory").mkdir()
    (pkg / "theory" / "__init__.py").write_text("")
    (pkg / "theory" / "bounds.py").write_text("from ..nets import two_layer\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, pkg
    try:
        mods = modules()
        edges = import_edges(mods)
    finally:
        PACKAGE = saved
    assert ("nets.two_layer", "theory.bounds") in edges
    assert ("theory.bounds", "nets.two_layer") in edges


def test_subpackages_say_what_their_stage_does():
    for path in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc and len(doc) > 60, f"{path.parent.name}/__init__.py needs a docstring saying what the stage does"

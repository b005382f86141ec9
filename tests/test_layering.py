"""Import layering: data flows one way, io -> network -> access -> siting -> maps/report.

An AST scan of every module of the package (imports inside functions count too): a module may
import gisplan modules of its own layer or of a lower one, never of a higher one.  The app
(``gisplan.app``) and the CLI (``gisplan.cli``, ``gisplan.commands``) sit on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Layer of each top-level part of the package (lower numbers are lower layers).
LAYERS: dict[str, int] = {
    # foundations: configuration, errors, CRS, text rules, labels, pure array helpers
    "gisplan": 0,
    "gisplan.errors": 0,
    "gisplan.settings": 0,
    "gisplan.crs": 0,
    "gisplan.catalogue": 0,
    "gisplan.coords": 0,
    "gisplan.safetext": 0,
    "gisplan.params": 0,
    "gisplan.labels": 0,
    "gisplan.i18n": 0,
    "gisplan.network.components": 0,  # numpy/scipy only; used by io and synthetic too
    # data in: readers and generators, and the database of what users save
    "gisplan.io": 1,
    "gisplan.synthetic": 1,
    "gisplan.store": 1,
    "gisplan.network": 2,
    "gisplan.cache": 2,
    "gisplan.access": 3,
    # wiring of datasets (read, prepare, build the access model)
    "gisplan.analysis": 4,
    "gisplan.dataset": 4,
    "gisplan.siting": 5,
    "gisplan.maps": 6,
    "gisplan.report": 6,
    "gisplan.app": 7,
    "gisplan.commands": 7,
    "gisplan.cli": 7,
}


def layer_of(module: str) -> tuple[str, int]:
    """The most specific entry of :data:`LAYERS` that ``module`` belongs to."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in LAYERS:
            return key, LAYERS[key]
    raise KeyError(module)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> set[str]:
    found = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "gisplan"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "gisplan":
                found.add(target)
                # ``from gisplan import x`` imports the submodule x
                if target == "gisplan":
                    found |= {f"gisplan.{a.name}" for a in node.names}
    return found


def test_every_module_has_a_layer():
    missing = [m for p in (ROOT / "gisplan").rglob("*.py") if not _safe_layer(m := _module_name(p))]
    assert not missing, f"add these to LAYERS: {missing}"


def _safe_layer(module: str) -> bool:
    try:
        layer_of(module)
    except KeyError:
        return False
    return True


def test_no_module_imports_a_higher_layer():
    bad = []
    for path in sorted((ROOT / "gisplan").rglob("*.py")):
        module = _module_name(path)
        _, mine = layer_of(module)
        for target in sorted(_imports(path, module)):
            key, theirs = layer_of(target)
            if theirs > mine:
                bad.append(f"{module} (layer {mine}) imports {target} (layer {theirs}, {key})")
    assert not bad, "imports against the flow:\n" + "\n".join(bad)


def test_the_scan_sees_imports_inside_functions(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from gisplan.app.state import lang\n", encoding="utf-8")
    assert _imports(src, "gisplan.io.m") == {"gisplan.app.state"}
    assert layer_of("gisplan.app.state")[1] > layer_of("gisplan.io.m")[1]

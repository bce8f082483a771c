"""Services are the only write door: inspections, problems and their lifecycle events are built only in
``services/`` (and the demo data); no module of the app (core, pages, app.py) reaches for another module's private name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILT = re.compile(r"\b(Inspection|Finding|FindingEvent)\(")


def _sources() -> list[Path]:
    return sorted([*ROOT.glob("gangwen_dash/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"])


def test_inspections_and_problems_are_built_only_by_services():
    allowed = ("gangwen_dash/services/", "gangwen_dash/demo.py", "gangwen_dash/models.py")
    builders = {str(p.relative_to(ROOT)) for p in _sources() if BUILT.search(p.read_text(encoding="utf-8"))}
    assert builders, "the scan found no builder at all"
    assert {b for b in builders if not b.startswith(allowed)} == set()
    assert "gangwen_dash/services/imports.py" in builders  # the Excel import's rows are built there


def _private_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gangwen_dash"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_no_module_uses_a_private_name_of_another_module():
    sources = _sources()
    assert len(sources) > 100
    found = {str(p.relative_to(ROOT)): uses for p in sources if (uses := _private_uses(p))}
    assert found == {}


def test_the_scan_sees_a_private_name(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from gangwen_dash.services import records\nfrom gangwen_dash.x import _y\n"
                      "records._in_district(1, 2)\n", encoding="utf-8")
    assert _private_uses(sample) == ["from gangwen_dash.x import _y", "records._in_district"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_ui_pages_and_the_app_know_streamlit():
    core = [p for p in ROOT.glob("gangwen_dash/**/*.py") if "ui" not in p.relative_to(ROOT).parts]
    assert len(core) > 80
    found = {str(p.relative_to(ROOT)) for p in core
             if any(m == "streamlit" or m.startswith(("streamlit.", "streamlit_")) for m in _imports(p))}
    assert found == set()


def test_pages_hold_no_sql_and_no_models():
    pages = sorted(ROOT.glob("pages/*.py"))
    assert len(pages) > 10
    found = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if m.startswith(
        ("sqlalchemy", "gangwen_dash.models", "gangwen_dash.db"))) for p in pages}
    assert {k: v for k, v in found.items() if v} == {}

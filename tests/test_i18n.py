"""One translation path: every text the app shows is an i18n key with Chinese and English.

AST scans of ``gisplan/app``: no inline ``tr(zh, en)`` pair (the function is gone), no
``x if lang == "en" else y`` pair of literal texts, and every key the package passes to ``t``
exists in :data:`gisplan.i18n.STRINGS` (``t`` shows an unknown key as itself, so a typo would
reach the user).
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from gisplan import i18n
from gisplan.store import ACTIONS, ROLES

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gisplan"
APP = PACKAGE / "app"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _calls(path: Path, name: str) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if called == name:
                found.append(node)
    return found


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_has_chinese_and_english_with_the_same_placeholders():
    for key, pair in i18n.STRINGS.items():
        assert isinstance(pair, tuple) and len(pair) == 2, key
        zh, en = pair
        assert zh.strip() and en.strip(), key
        # a Chinese text may leave out an English-only technical detail (never the reverse)
        assert _fields(zh) == _fields(en) - _ENGLISH_DETAIL_ONLY.get(key, set()), key
        # the Chinese text is Chinese (a few keys are names or symbols shared by both)
        if CJK.search(en):
            assert key in _BILINGUAL_BY_DESIGN, f"{key}: Chinese in the English text {en!r}"


#: Keys whose Chinese text leaves out a placeholder that holds an English technical detail
#: (the reader's own words, shown in English mode only).
_ENGLISH_DETAIL_ONLY = {"err.dataset.invalid": {"detail"}, "err.dataset.bad_values": {"detail"}}

#: Keys whose English text keeps Chinese on purpose (the language switch shows both names).
_BILINGUAL_BY_DESIGN = {"app.language", "up.schema_amenities"}


def test_tr_is_gone():
    assert not hasattr(i18n, "tr")
    for path in _modules(PACKAGE):
        assert not _calls(path, "tr"), f"{path.relative_to(ROOT)} calls tr(zh, en)"


def _is_lang_test(node: ast.expr) -> bool:
    """``lang == "en"``, ``lg != "zh"``, ``current_language() == "en"`` …"""
    return (
        isinstance(node, ast.Compare)
        and len(node.comparators) == 1
        and isinstance(node.ops[0], ast.Eq | ast.NotEq)
        and any(
            isinstance(side, ast.Constant) and side.value in ("zh", "en")
            for side in (node.left, node.comparators[0])
        )
    )


def _literal_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant | ast.JoinedStr) and not (
        isinstance(node, ast.Constant) and not isinstance(node.value, str)
    )


def test_no_inline_language_pair_of_texts_in_the_app():
    """``"…" if lang == "en" else "…"`` is a translation outside i18n."""
    offenders = []
    for path in _modules(APP):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.IfExp)
                and _is_lang_test(node.test)
                and _literal_text(node.body)
                and _literal_text(node.orelse)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def _used_keys() -> dict[str, str]:
    """Literal first arguments of every ``t(...)`` / ``i18n.t(...)`` call in the package."""
    used = {}
    for path in _modules(PACKAGE):
        for call in _calls(path, "t"):
            if call.args and isinstance(call.args[0], ast.Constant):
                key = call.args[0].value
                if isinstance(key, str):
                    used[key] = f"{path.relative_to(ROOT)}:{call.lineno}"
    return used


def test_every_key_the_package_uses_exists():
    used = _used_keys()
    assert len(used) > 300  # the scan sees the app's calls
    missing = {k: where for k, where in used.items() if k not in i18n.STRINGS}
    assert not missing, missing


def test_actions_and_roles_have_keys():
    """``require_ui`` names the refused action and the sign-in caption the role by key."""
    for action in ACTIONS:
        assert f"action.{action}" in i18n.STRINGS, action
    for role in set(ROLES) - {"public"}:
        assert f"role.{role}" in i18n.STRINGS, role


@pytest.mark.parametrize(
    ("method", "short", "zh", "en"),
    [
        ("greedy", False, "贪心", "greedy"),
        ("exact", False, "精确（HiGHS）", "exact"),
        ("exact", True, "精确", "exact"),
        ("swap", False, "swap", "swap"),  # unknown ids are shown as they are
    ],
)
def test_solver_name(method, short, zh, en):
    assert i18n.solver_name(method, "zh", short=short) == zh
    assert i18n.solver_name(method, "en", short=short) == en


def test_a_formatted_key_in_both_languages():
    assert i18n.t("official.plan.method_objective", "zh", method="贪心", objective=12345) == (
        "方法：贪心；贪心目标 12,345"
    )
    assert i18n.t("official.plan.method_objective", "en", method="greedy", objective=12345) == (
        "Method: greedy; greedy objective 12,345"
    )

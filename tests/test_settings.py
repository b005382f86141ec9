"""gisplan.settings lists every setting; the Streamlit options agree with .streamlit/config.toml."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from gisplan import settings
from gisplan.catalogue import _raw_catalogue, default_standard

ROOT = Path(__file__).resolve().parents[1]
ENV_NAME = re.compile(r"GISPLAN_[A-Z0-9_]+")


def _flatten(doc: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in doc.items():
        key = f"{prefix}{k}"
        out.update(_flatten(v, key + ".") if isinstance(v, dict) else {key: v})
    return out


def test_streamlit_config_file_equals_the_settings_module():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert _flatten(config) == settings.STREAMLIT_OPTIONS
    assert config["server"]["maxUploadSize"] == settings.MAX_UPLOAD_MB


def test_streamlit_flags_carry_every_option():
    flags = dict(f[2:].split("=", 1) for f in settings.streamlit_flags())
    assert set(flags) == set(settings.STREAMLIT_OPTIONS)
    assert flags["server.maxUploadSize"] == str(settings.MAX_UPLOAD_MB)
    assert flags["client.disableDataExport"] == "true"


def _env_literals() -> dict[str, set[str]]:
    """``GISPLAN_*`` names in string literals of the package (f-string parts included)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "gisplan").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for name in ENV_NAME.findall(node.value):
                    found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_environment_variable_is_listed():
    listed = {s.name for s in settings.SETTINGS if s.env}
    prefixes = tuple(n[: -len("<FIELD>")] for n in listed if n.endswith("<FIELD>"))
    unlisted = {
        name: files
        for name, files in _env_literals().items()
        if name not in listed
        and not name.startswith(prefixes)
        # test-only hooks are not settings (issue 8 removes the last one from production)
        and not name.startswith("GISPLAN_TEST_")
    }
    assert not unlisted, f"add these to gisplan.settings.SETTINGS: {unlisted}"


def test_catalogue_settings_are_listed_with_their_defaults():
    listed = {s.name: s for s in settings.SETTINGS if not s.env}
    raw = _raw_catalogue()["settings"]
    assert set(listed) == set(raw)
    std = default_standard()
    for name, s in listed.items():
        assert float(s.default) == float(raw[name]) == float(getattr(std, name))

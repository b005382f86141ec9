"""Leaflet served from the installed XStatic-Leaflet package: no CDN, works offline.

folium lists its scripts and styles as CDN URLs (``default_js`` / ``default_css`` of the map
and of some plugins).  gisplan maps use Leaflet only (no jQuery, Bootstrap or awesome-markers:
features are drawn as GeoJSON paths and circle markers), so:

- :func:`install_vendor` copies ``leaflet.js``, ``leaflet.css`` and its images from the
  installed ``xstatic.pkg.leaflet`` package into a folder (``static/vendor/leaflet`` next to
  ``app.py``, served by Streamlit at ``/app/static/vendor/leaflet/``).  The copies are never
  committed (``/static/vendor/`` is gitignored).
- :func:`localize` points every element of a map at those local URLs and raises when an
  element needs a script or style that is not available locally, so a CDN URL can never slip
  through to the browser.
- :func:`standalone_html` renders a map to one self-contained HTML file with Leaflet's script
  and style (and its images, as data URIs) inlined: it opens offline from disk.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import branca
import folium

from gisplan.safetext import html_text

__all__ = [
    "LEAFLET_VERSION",
    "DEFAULT_BASE_URL",
    "leaflet_dir",
    "install_vendor",
    "localize",
    "external_urls",
    "standalone_html",
    "UnavailableAssetError",
]

#: URL under which Streamlit serves ``static/vendor`` (``server.enableStaticServing``).
DEFAULT_BASE_URL = "/app/static/vendor"

# Names folium uses for Leaflet itself; everything else must be dropped or provided.
_LEAFLET_JS = "leaflet"
_LEAFLET_CSS = "leaflet_css"
# Names of folium's default map assets that gisplan maps do not use (Marker icons, popups
# styled by Bootstrap).  They are dropped rather than served.
_UNUSED = {
    "jquery",
    "bootstrap",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers",
    "awesome_markers_css",
    "awesome_markers_font_css",
    "awesome_rotate_css",
}


class UnavailableAssetError(RuntimeError):
    """A map element needs a script or style that gisplan does not serve locally."""


def _xstatic():
    import xstatic.pkg.leaflet as xleaflet

    return xleaflet


def leaflet_dir() -> Path:
    """Folder of the installed Leaflet distribution (``leaflet.js``, ``leaflet.css``, ``images/``)."""
    return Path(_xstatic().BASE_DIR)


LEAFLET_VERSION: str = _xstatic().VERSION


def install_vendor(target: str | Path) -> Path:
    """Copy Leaflet's script, style and images into ``target/leaflet``; return that folder.

    Files already present with the same size are left alone, so calling this at every app
    start is cheap.  ``target`` is usually ``static/vendor`` next to ``app.py``.
    """
    src = leaflet_dir()
    dst = Path(target) / "leaflet"
    (dst / "images").mkdir(parents=True, exist_ok=True)
    wanted = [Path("leaflet.js"), Path("leaflet.css")]
    wanted += [p.relative_to(src) for p in (src / "images").iterdir() if p.is_file()]
    for rel in wanted:
        s, d = src / rel, dst / rel
        if not d.exists() or d.stat().st_size != s.stat().st_size:
            tmp = d.with_name(d.name + ".tmp")
            shutil.copyfile(s, tmp)
            tmp.replace(d)
    return dst


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localize(m: folium.Map, base_url: str = DEFAULT_BASE_URL) -> folium.Map:
    """Point the map's Leaflet script/style at ``base_url`` and drop folium's unused CDN assets.

    Modifies ``m`` (and its children) in place and returns it.  Raises
    :class:`UnavailableAssetError` when an element (a plugin, a branca colormap) needs any other
    external script or style.
    """
    base = base_url.rstrip("/")
    for el in _walk(m):
        if isinstance(el, branca.colormap.ColorMap):
            raise UnavailableAssetError(
                "branca colormaps load d3 from a CDN; use gisplan.maps.elements.Legend instead"
            )
        js = getattr(el, "default_js", None)
        css = getattr(el, "default_css", None)
        if not js and not css:
            continue
        new_js, new_css = [], []
        for name, url in js or []:
            if name == _LEAFLET_JS:
                new_js.append((name, f"{base}/leaflet/leaflet.js"))
            elif name in _UNUSED:
                continue
            elif not _is_external(url):
                new_js.append((name, url))
            else:
                raise UnavailableAssetError(f"{type(el).__name__} needs script {name!r} from {url}")
        for name, url in css or []:
            if name == _LEAFLET_CSS:
                new_css.append((name, f"{base}/leaflet/leaflet.css"))
            elif name in _UNUSED:
                continue
            elif not _is_external(url):
                new_css.append((name, url))
            else:
                raise UnavailableAssetError(f"{type(el).__name__} needs style {name!r} from {url}")
        # Instance attributes: never modify folium's class-level lists.
        el.default_js = new_js
        el.default_css = new_css
    return m


def _is_external(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url.strip(), flags=re.I))


def external_urls(html: str) -> list[str]:
    """``src``/``href`` URLs of scripts and styles in ``html`` that point off the machine."""
    found = re.findall(
        r"""<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["']([^"']+)["']""", html, flags=re.I
    )
    return [u for u in found if _is_external(u)]


def _css_with_data_uris(css: str, folder: Path) -> str:
    def repl(match: re.Match) -> str:
        rel = match.group(1).strip("'\"")
        path = folder / rel
        if not path.is_file():
            return match.group(0)
        mime = "image/svg+xml" if path.suffix == ".svg" else f"image/{path.suffix.lstrip('.')}"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:{mime};base64,{data})"

    return re.sub(r"url\(([^)]+)\)", repl, css)


def standalone_html(m: folium.Map, *, title: str = "gisplan map") -> str:
    """Render ``m`` as one self-contained HTML document (Leaflet inlined, no external files).

    Web tiles, when the map has a web basemap, still need the internet; everything else,
    including the legend and labels, works offline.
    """
    localize(m, base_url="__gisplan_vendor__")
    src = leaflet_dir()
    js = (src / "leaflet.js").read_text(encoding="utf-8")
    css = _css_with_data_uris((src / "leaflet.css").read_text(encoding="utf-8"), src)
    html = m.get_root().render()
    js_tag = re.compile(
        r'<script[^>]*src="__gisplan_vendor__/leaflet/leaflet\.js"[^>]*>\s*</script>'
    )
    css_tag = re.compile(r'<link[^>]*href="__gisplan_vendor__/leaflet/leaflet\.css"[^>]*/?>')
    # Escape "</script" inside the library text so the inline script cannot end early.
    js_safe = js.replace("</script", "<\\/script")
    html, n_js = js_tag.subn(lambda _m: f"<script>{js_safe}</script>", html, count=1)
    html, n_css = css_tag.subn(lambda _m: f"<style>{css}</style>", html, count=1)
    if n_js != 1 or n_css != 1:
        raise UnavailableAssetError("could not inline Leaflet into the rendered map")
    title_tag = f"<title>{html_text(title)}</title>"
    html = html.replace("<head>", "<head>\n    " + title_tag, 1)
    leftover = external_urls(html)
    if leftover:
        raise UnavailableAssetError(
            "the map still references external files: " + ", ".join(leftover)
        )
    return html

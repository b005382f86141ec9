"""gisplan Streamlit app: 宁波商圈、步行街与十五分钟便民生活圈.

The page navigation shared by the checkout's ``app.py`` and an installed package::

    streamlit run app.py                                  # in a source checkout
    gisplan app                                           # checkout or installed wheel
    streamlit run <site-packages>/gisplan/app/main.py     # what an installed gisplan app runs

The app holds no analysis: the pages (:mod:`gisplan.app.pages`) call the gisplan package.
Chinese by default; English in the sidebar.

To add a page, add one line to ``PAGES``: (section key, file in ``gisplan/app/pages``, title
key, url path).  Pages have no icons: Streamlit turns a page's icon into the favicon and
fetches Material/emoji favicons from a CDN, which the offline app must not do.
"""

from __future__ import annotations

from pathlib import Path

#: The page scripts' folder (inside the package, so an installed wheel carries it).
PAGES_DIR = Path(__file__).resolve().parent / "pages"

# (section, script, title key, url path); the first page is the default.
PAGES: list[tuple[str, str, str, str]] = [
    ("nav.public", "plan_map.py", "page.plan_map", "plan-map"),
    ("nav.public", "my_circle.py", "page.my_circle", "my-circle"),
    ("nav.planners", "coverage.py", "page.coverage", "coverage"),
    ("nav.planners", "siting.py", "page.siting", "siting"),
    ("nav.planners", "scenarios.py", "page.scenarios", "scenarios"),
    ("nav.data", "upload.py", "page.upload", "upload"),
]


def page_path(script: str) -> Path:
    """Absolute path of a page script (``"coverage.py"``) in :data:`PAGES_DIR`."""
    return PAGES_DIR / script


def main(app_dir: str | Path | None = None) -> None:
    """Run one pass of the app script: page config, sidebar, navigation.

    ``app_dir`` is the folder of the script Streamlit runs (its ``static/`` folder is served
    at ``/app/static``); default this module's folder.
    """
    import streamlit as st

    from gisplan.app.state import setup_page
    from gisplan.app.widgets import dataset_control
    from gisplan.i18n import t

    # No page_icon: a Material or emoji favicon would be fetched from a CDN; the default is local.
    st.set_page_config(page_title=t("app.title"), layout="wide")
    setup_page(Path(app_dir) if app_dir is not None else Path(__file__).resolve().parent)
    dataset_control()

    sections: dict[str, list] = {}
    for i, (section, script, title, url) in enumerate(PAGES):
        sections.setdefault(t(section), []).append(
            st.Page(page_path(script), title=t(title), url_path=url, default=(i == 0))
        )
    st.navigation(sections).run()


if __name__ == "__main__":  # ``streamlit run .../gisplan/app/main.py``
    main()

"""gisplan Streamlit app: 宁波商圈、步行街与十五分钟便民生活圈.

Run ``streamlit run app.py`` (or ``gisplan app``).  The app holds no analysis: the pages call
the gisplan package.  Chinese by default; English in the sidebar.

To add a page, add one line to ``PAGES``: (section key, file, title key, url path).  Pages have
no icons: Streamlit turns a page's icon into the favicon and fetches Material/emoji favicons
from a CDN, which the offline app must not do.
"""

from __future__ import annotations

import streamlit as st

from gisplan.app.state import setup_page
from gisplan.i18n import t

# (section, script, title key, url path); the first page is the default.
PAGES: list[tuple[str, str, str, str]] = [
    ("nav.public", "app_pages/plan_map.py", "page.plan_map", "plan-map"),
    ("nav.planners", "app_pages/coverage.py", "page.coverage", "coverage"),
    ("nav.planners", "app_pages/siting.py", "page.siting", "siting"),
    ("nav.planners", "app_pages/scenarios.py", "page.scenarios", "scenarios"),
    ("nav.data", "app_pages/upload.py", "page.upload", "upload"),
]

# No page_icon: a Material or emoji favicon would be fetched from a CDN; the default is local.
st.set_page_config(page_title=t("app.title"), layout="wide")
setup_page()

sections: dict[str, list] = {}
for i, (section, script, title, url) in enumerate(PAGES):
    sections.setdefault(t(section), []).append(
        st.Page(script, title=t(title), url_path=url, default=(i == 0))
    )
st.navigation(sections).run()

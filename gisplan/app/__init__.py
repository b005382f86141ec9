"""Streamlit glue: everything the app (``app.py``, :mod:`gisplan.app.main`, ``gisplan/app/pages/``) needs that is not analysis.

- :mod:`gisplan.app.state`: cached datasets and access models, session layers, language, page setup;
- :mod:`gisplan.app.widgets`: synthetic banner, basemap choice, map display, download files;
- :mod:`gisplan.app.standard`: the circle standard in force in the session, its controls and caption;
- :mod:`gisplan.app.auth`: sign-in form, the signed-in user, per-page role checks;
- :mod:`gisplan.app.main`: the navigation (``PAGES``) run by ``app.py`` or an installed package;
- :mod:`gisplan.app.pages`: the page scripts;
- :mod:`gisplan.app.serve`: ``gisplan app``'s launcher (``streamlit run`` after preloading).

Importing this package imports nothing; the modules import Streamlit.
"""

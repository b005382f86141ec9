"""The app's pages: Streamlit scripts run by :func:`gisplan.app.main.main` (``st.navigation``).

Each file is a page script (run top to bottom on every interaction), not a module to import.
The folder is not called ``pages/`` at the app's root: Streamlit would treat that as old-style
multipage app pages.
"""

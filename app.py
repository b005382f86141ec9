"""gisplan Streamlit app: 宁波商圈、步行街与十五分钟便民生活圈.

Run ``streamlit run app.py`` (or ``gisplan app``).  This file is the entry point of a source
checkout; the navigation and the pages live in the package (:mod:`gisplan.app.main`,
``gisplan/app/pages/``), so an installed wheel runs the same app.
"""

from pathlib import Path

from gisplan.app.main import main

main(Path(__file__).resolve().parent)

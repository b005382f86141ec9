"""Packaging glue that ``pyproject.toml`` cannot express (metadata and dependencies are there).

The embedded Ningbo layers stay in ``data/geo/`` at the top of the checkout (the design card
fixes that layout); the wheel carries them as ``gisplan/geodata/`` so that an installed
``gisplan`` finds them (:func:`gisplan.io.embedded.data_dir`).
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["gisplan", "gisplan.*"]), "gisplan.geodata"],
    package_dir={"gisplan.geodata": "data/geo"},
    package_data={
        "gisplan": ["*.toml"],
        "gisplan.store": ["migrations/*.py", "migrations/*.mako", "migrations/versions/*.py"],
        "gisplan.geodata": ["*.geojson", "*.csv", "*.md"],
    },
)

"""What users take away: output files, the gap list, plan targets and scenario reports.

``outputs`` (``gisplan analyze``'s files, written as one atomic set), ``gaps``, ``targets``
(progress against the 2025 plan), ``scenario``, ``scenario_html`` and ``scenario_map`` (a
saved scenario's figures, report.html and its static map).
"""

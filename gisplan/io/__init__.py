"""Data in: readers that load, validate and convert layers to WGS-84 (EPSG:4326).

``readers`` (any vector file or CSV of points), ``layers`` (the community and amenity
schemas), ``poi`` (Amap/Baidu POI exports), ``osm/`` (OpenStreetMap), ``embedded`` (the layers
shipped in ``data/geo``), ``upload`` (bounded reads in a worker process), ``atomic`` (every
output file: temporary name, then rename).
"""

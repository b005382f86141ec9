"""The walking network: compact graph arrays, snapping of points, joining costs."""

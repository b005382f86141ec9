"""Access on the walking network: walking times, coverage, service circles and service areas."""

"""Builders shared by the tests (imported, never collected: no ``test_`` names here)."""

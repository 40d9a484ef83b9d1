"""Sync: field laptops send signed, encrypted event bundles to the office and pull its content."""

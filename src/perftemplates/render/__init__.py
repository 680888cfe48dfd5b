"""Renderers: one per output format, each a thin translation of a resolved template."""

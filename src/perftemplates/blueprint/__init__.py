"""Blueprints: YAML files that declare what a template holds."""

"""Goal-setting and performance templates as Excel and Word files from blueprints."""

__version__ = "0.1.0"

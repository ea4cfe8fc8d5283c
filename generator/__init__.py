"""Evidence-site generator: study data (YAML + CSV) to a searchable static site."""

__version__ = "0.1.0"

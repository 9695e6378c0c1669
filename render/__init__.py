"""Impact report builder: Markdown and data tables in, accessible PDF and slide deck out."""

__version__ = "0.1.0"

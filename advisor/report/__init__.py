"""Reports: report.json (versioned schema) and report.md."""

from .markdown import render_markdown
from .schema import SCHEMA_VERSION, Report
from .write import write_reports

__all__ = ["SCHEMA_VERSION", "Report", "render_markdown", "write_reports"]

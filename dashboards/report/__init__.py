"""The per-gemeente document (`infopositie report`): dashboards/report/render.py."""
from dashboards.report.render import render_report

__all__ = ["render_report"]

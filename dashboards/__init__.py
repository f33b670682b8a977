"""Metabase dashboards as code (specs + apply) and the per-gemeente HTML document."""

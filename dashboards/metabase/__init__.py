"""Provisioning Metabase over its REST API from dashboards/specs (see apply.py)."""

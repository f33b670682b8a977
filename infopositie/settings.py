"""Moved to the bottom layer `config`. Only ingest/pipeline.py still imports this (it is being
rewritten as small ingest steps that take the settings from `config`); delete this file then."""
from config import PROJECT_ROOT, Settings, ensure_runtime_dir, load_settings

__all__ = ["PROJECT_ROOT", "Settings", "ensure_runtime_dir", "load_settings"]

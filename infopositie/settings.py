"""Moved to the bottom layer `config`; kept only until every import points there."""
from config import PROJECT_ROOT, Settings, ensure_runtime_dir, load_settings

__all__ = ["PROJECT_ROOT", "Settings", "ensure_runtime_dir", "load_settings"]

"""Debian's Chromium for the browser tests, through Playwright (no browser download).

Without Chromium the browser tests skip on a developer's machine, but fail where `CI` is set:
.ci/run installs the `chromium` package, so a missing browser there is a broken CI, not a reason
to skip the checks."""
from __future__ import annotations

import os
import shutil

import pytest

from dashboards.report.pdf import LAUNCH_ARGS, BrowserNotFound, chromium_path


def require(tool: str) -> str:
    """The path of a system tool (chromium, pdfinfo, ...); skip without it, fail on CI."""
    try:
        path = chromium_path() if tool == "chromium" else shutil.which(tool)
    except BrowserNotFound:
        path = None
    if path:
        return path
    message = f"{tool} is not installed (Debian: apt-get install chromium poppler-utils)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must have it (.ci/run installs it)")
    pytest.skip(message)


__all__ = ["LAUNCH_ARGS", "require"]

"""What an apply did, object by object; the counts make idempotency visible."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Action = Literal["created", "updated", "unchanged", "archived"]


@dataclass
class Summary:
    objects: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dashboards: list[dict] = field(default_factory=list)
    setup: bool = False

    def record(self, kind: str, key: str, action: Action, id: int | str | None = None) -> None:
        self.objects.append({"kind": kind, "key": key, "action": action, "id": id})

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def counts(self) -> dict[str, int]:
        counted = Counter(o["action"] for o in self.objects)
        return {a: counted.get(a, 0) for a in ("created", "updated", "unchanged", "archived")}

    def as_dict(self) -> dict:
        return {**self.counts(), "setup": self.setup, "dashboards": self.dashboards,
                "objects": self.objects, "warnings": self.warnings}

"""The result table every benchmark appends to, printed at the end of a run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Row:
    target: str
    measure: str
    value: str
    goal: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(
        self,
        target: str,
        measure: str,
        value: str,
        goal: str = "",
        met: bool | None = None,
        note: str = "",
    ) -> None:
        row = Row(target, measure, value, goal, met, note)
        self.rows.append(row)
        print(f"  [{target}] {measure}: {value} {goal} {_verdict(met)} {note}".rstrip(), flush=True)

    def markdown(self) -> str:
        lines = [
            "| target | measure | value | goal | met | note |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            cells = [r.target, r.measure, r.value, r.goal, _verdict(r.met), r.note]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps([asdict(r) for r in self.rows], indent=1))


def _verdict(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "NO")

"""The results table: printed, and written to bench/RESULTS.md with the machine it ran on."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.harness.servers import ROOT


@dataclass
class Row:
    """One line of the table (figures already formatted)."""

    path: str
    hub: str
    p50: str
    p99: str
    baseline: str
    ratio: str
    goal: str


@dataclass
class Report:
    """The rows, the run's parameters and notes."""

    rows: list[Row] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        """The rows as a Markdown table."""
        head = ["path", "hub", "p50", "p99", "bare Flask", "ratio", "goal"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join([r.path, r.hub, r.p50, r.p99, r.baseline, r.ratio, r.goal]) + " |"
                  for r in self.rows]
        return "\n".join(lines)

    def text(self) -> str:
        """Machine, parameters, table and notes."""
        parts = ["Machine: " + machine(), "Run: " + "; ".join(self.params), "", self.table()]
        if self.notes:
            parts += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(parts)


def machine() -> str:
    """nproc, CPU model, date and git commit (marked dirty when the tree has changes)."""
    model = "unknown CPU"
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " + uncommitted changes"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} × {model}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; commit {commit}; "
            f"load average {load} when the table was made")


ANALYSIS = "## Where the time goes"


def write_results(report: Report, path: Path) -> None:
    """Replace bench/RESULTS.md with this run's table, keeping its hand-written analysis section (to be
    brought up to date with the new figures)."""
    analysis = ""
    if path.exists() and ANALYSIS in (old := path.read_text()):
        analysis = "\n" + old[old.index(ANALYSIS):]
    path.write_text(
        "# Benchmark results\n\n"
        "Written by `make bench` (`python -m bench`); figures are measured, never asserted. On a small\n"
        "machine the ratio to the bare-Flask baseline measured in the same run is the figure that\n"
        "matters.\n\n"
        + report.text() + "\n" + analysis)

"""Helpers for the report tests (a uniquely named module so test packages collect together)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accountleader.demo import PlantedTruth
from accountleader.workspace import Workspace


@dataclass
class ReportDemo:
    workspace: Workspace
    truth: PlantedTruth
    out: Path
    _open_deals: list[dict[str, Any]] | None = field(default=None, repr=False)

    def sellers(self, archetype: str) -> list[str]:
        return sorted(uid for uid, kind in self.truth.seller_archetypes.items() if kind == archetype)

    def open_single_threaded_deals(self) -> list[dict[str, Any]]:
        """Planted single-threaded deals still open at the as-of date."""
        if self._open_deals is None:
            self._open_deals = [o for o in self.workspace.opportunities(open_only=True)
                                if o["opportunity_id"] in self.truth.single_threaded_opportunities]
        return self._open_deals


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_to_pages(pdf: Path, out_prefix: Path, dpi: int = 30) -> list[Path]:
    """PDF -> one greyscale PGM per page (pdftoppm); returns the page files in order."""
    subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), str(pdf), str(out_prefix)], check=True, timeout=120)
    return sorted(out_prefix.parent.glob(out_prefix.name + "-*.pgm"))


def ink_share(pgm: Path, threshold: int = 200) -> float:
    """Share of pixels darker than ``threshold`` in a binary (P5) greyscale image."""
    data = pgm.read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert header, f"{pgm} is not a binary PGM"
    width, height = int(header.group(1)), int(header.group(2))
    pixels = data[header.end(): header.end() + width * height]
    return sum(1 for p in pixels if p < threshold) / max(len(pixels), 1)

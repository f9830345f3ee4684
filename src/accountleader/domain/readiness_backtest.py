"""Does readiness predict outcomes? The summary of a replay (docs/metrics.md, "Readiness backtest").

Given each closed deal's readiness as it entered the proposal stage and whether it was won:
the AUC of the score for won against lost, the mean score of each, and per gap the win rate of
deals with and without it.  Too few deals give no AUC and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .readiness import GAP_CODES

#: Fewer scored deals (or fewer of either outcome) than these: no AUC.
MIN_DEALS = 30
MIN_EACH_OUTCOME = 5


@dataclass(frozen=True)
class Look:
    """One closed deal looked at as it entered the proposal stage."""

    opportunity_id: str
    won: bool
    score: float | None
    gaps: tuple[str, ...]


def _rate(looks: Sequence[Look]) -> float | None:
    return round(sum(x.won for x in looks) / len(looks), 4) if looks else None


def summarise(looks: Sequence[Look]) -> dict[str, Any]:
    """AUC (ties count half), mean scores and each gap's effect, with every sample size."""
    import numpy as np

    from .scoring.win import weighted_auc

    scored = [x for x in looks if x.score is not None]
    won = [x for x in scored if x.won]
    lost = [x for x in scored if not x.won]
    enough = len(scored) >= MIN_DEALS and min(len(won), len(lost)) >= MIN_EACH_OUTCOME
    auc = None
    if enough:
        auc = weighted_auc(np.array([x.score for x in scored], dtype=float), np.array([x.won for x in scored], dtype=float))
    gaps = []
    for code in GAP_CODES:
        with_gap = [x for x in scored if code in x.gaps]
        without = [x for x in scored if code not in x.gaps]
        gaps.append({"gap": code, "with_n": len(with_gap), "with_win_rate": _rate(with_gap),
                     "without_n": len(without), "without_win_rate": _rate(without)})
    return {
        "deals_n": len(looks), "scored_n": len(scored), "unscored_n": len(looks) - len(scored),
        "won_n": len(won), "lost_n": len(lost),
        "auc": None if auc is None else round(auc, 4),
        "note": None if enough else (f"too few deals to judge: {len(scored)} scored ({len(won)} won, {len(lost)} "
                                     f"lost); an AUC needs {MIN_DEALS} and {MIN_EACH_OUTCOME} of each"),
        "mean_score_won": round(sum(x.score for x in won) / len(won), 1) if won else None,  # type: ignore[misc]
        "mean_score_lost": round(sum(x.score for x in lost) / len(lost), 1) if lost else None,  # type: ignore[misc]
        "gaps": gaps,
    }

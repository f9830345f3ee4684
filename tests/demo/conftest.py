"""One small demo export per test session (scale 0.2)."""

from __future__ import annotations

import pandas as pd
import pytest
from demo_export import Export

from accountleader.demo import write_demo_export

SCALE = 0.2


def _export(tmp_path_factory: pytest.TempPathFactory, scale: float, seed: int = 7) -> Export:
    directory = tmp_path_factory.mktemp(f"demo_{seed}_{scale}")
    result = write_demo_export(directory, seed=seed, scale=scale)
    return Export(directory, result.truth, result.files, {})


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Export:
    return _export(tmp_path_factory, SCALE)


@pytest.fixture(scope="session")
def activities(demo: Export) -> pd.DataFrame:
    return demo.activities()

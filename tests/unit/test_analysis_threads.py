"""The fits beside the engine use one BLAS and one OpenMP thread while the analysis runs (issue 12).

OpenBLAS's and OpenMP's idle threads spin on the cores DuckDB works on; at M they cost about
5 s of CPU and slowed the queries running beside the fits. The limit must reach the libraries
scikit-learn loads (SciPy's own OpenBLAS, OpenMP), and be lifted again afterwards."""

from __future__ import annotations

from threadpoolctl import threadpool_info

from accountleader.engine.analyze import _numerics_on_one_thread


def _threads() -> dict[str, int]:
    return {i["filepath"]: i["num_threads"] for i in threadpool_info()}


def test_numerics_run_on_one_thread_during_the_analysis_and_are_restored_after() -> None:
    with _numerics_on_one_thread():  # the first time loads scikit-learn's libraries
        pass
    before = _threads()
    with _numerics_on_one_thread():
        inside = threadpool_info()
        apis = [i["internal_api"] for i in inside]
        # numpy's OpenBLAS, SciPy's own OpenBLAS (scikit-learn's solvers) and OpenMP: all limited
        assert apis.count("openblas") >= 2 and "openmp" in apis, apis
        assert all(i["num_threads"] == 1 for i in inside), inside
    # each library gets its thread count back (the machine's cores, unless the environment says less)
    assert _threads() == before

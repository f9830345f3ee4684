"""The analysis run: canonical tables in, result tables out.

Builds every metric as an Ibis expression over whatever backend holds the canonical
tables, executes each once, and hands Arrow tables back for storage.  The fit and
title steps are pure Python fits over small pulled tables (accounts, contacts).
"""

from __future__ import annotations

import gc
import json
import time
import uuid
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from ..config import WorkspaceSettings
from ..domain.arrow_types import ARROW_TYPES
from ..domain.as_of import AsOf
from ..domain.metrics import (
    _clean,
    account_leadership,
    change,
    delegation,
    desk_requests,
    effectiveness,
    efficiency,
    leadership,
    matrix,
    performance,
    style,
    support,
    win_features,
)
from ..domain.metrics.views import read_side_tables
from ..domain.results import RESULT_KEYS, RESULT_TABLES, RESULTS_FORMAT  # noqa: F401 (RESULTS_FORMAT: re-exported)
from ..domain.schema import BUYER_ROLES
from ..domain.scoring.fit import FitReport, fit_account_scores
from ..domain.scoring.icp import blend_fit, load_icp_rules
from ..domain.scoring.titles import build_contact_roles
from ..domain.scoring.win import WinReport
from . import data_quality, results_file
from .sql_cache import SqlCache
from .win_model import _first_deal, closed_sample, win_rules

Progress = Callable[[str, float], None]


EFFICIENCY_COMPONENTS = {
    "quote_turnaround_median_hours": "lower_is_better",
    "response_latency_median_hours": "lower_is_better",
    "followup_latency_median_hours": "lower_is_better",
    "stage_velocity_ratio": "lower_is_better",
    "first_activity_median_hours": "lower_is_better",
}
#: Per-seller counts of what the metrics left out as data artefacts (docs/metrics.md).
EXCLUDED_COUNTS = (
    "quote_closing_document_n",
    "stage_spells_artefact_n",
    "stage_spells_entered_late_n",
    "entered_late_n",
    "days_to_close_entered_late_n",
    "placeholder_amount_n",
    "mass_email_n",
    "open_task_n",
)
EFFECTIVENESS_COMPONENTS = {
    "high_fit_effort_share": "higher_is_better",
    "decision_maker_reach": "higher_is_better",
    "senior_contact_share": "higher_is_better",
    "multithreading_ratio": "higher_is_better",
}


@dataclass
class Analysis:
    as_of: datetime
    tables: dict[str, pa.Table]
    fit_report: FitReport
    notes: list[str] = field(default_factory=list)
    win_report: WinReport | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: result tables the engine wrote into the results file itself (``results_file``), with
    #: their row counts; their rows are not in ``tables``
    written: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> dict[str, int]:
        """Every result table's row count, whether its rows are in ``tables`` or were written."""
        return {**{name: t.num_rows for name, t in self.tables.items()}, **self.written}


def _json_list(values: Any) -> str | None:
    if values is None or (isinstance(values, float) and pd.isna(values)):
        return None
    return json.dumps([str(v) for v in values], ensure_ascii=False)


def _fit_features(t: dict[str, ir.Table], as_of: datetime) -> pd.DataFrame:
    """Learn fit from each account's closed deals (by as_of), then score every account."""
    o = t["opportunities"]
    asof = ibis.literal(as_of)
    closed = o.filter(_clean.closed_at(o).notnull() & _clean.closed_by(o, asof) & o.account_id.notnull())
    counts = closed.group_by("account_id").aggregate(
        won_n=closed.is_won.cast("int64").sum(), lost_n=(~closed.is_won).cast("int64").sum()
    )
    # open at as_of: created by then and not closed by then (the first-move guard reads it)
    live = o.filter(
        o.account_id.notnull() & (o.created_at.isnull() | (o.created_at <= asof)) & ~_clean.closed_by(o, asof)
    )
    open_counts = live.group_by("account_id").aggregate(open_n=live.count())
    a = t["accounts"]
    # Customer status (Type) is left out on purpose: Salesforce orgs flip an account from
    # Prospect to Customer on its first win, so it leaks the outcome the model predicts
    # (on the demo company every Prospect has 0% wins by construction).
    # owner_id is no attribute: the model uses it to drop attributes that coincide with one
    # seller (territories), see docs/metrics.md.
    features = a.select("account_id", "owner_id", "industry", "employees", "annual_revenue", "region", "country")
    features = features.left_join(counts, "account_id").drop("account_id_right")
    features = features.left_join(open_counts, "account_id").drop("account_id_right")
    # sorted so that cross-validation folds and permutations never depend on row order
    df = features.order_by("account_id").to_pandas()
    for col in ("won_n", "lost_n", "open_n"):
        df[col] = df[col].fillna(0).astype(int)
    return df


def _score_fit(df: pd.DataFrame, settings: WorkspaceSettings) -> tuple[pa.Table, FitReport]:
    """The pure part of fit scoring (numpy only): safe to run beside engine queries."""
    result = fit_account_scores(df)
    scored = result.accounts
    if settings.icp_rules_file:
        rules = load_icp_rules(settings.icp_rules_file)
        scored = blend_fit(df, scored, rules, weight=settings.icp_blend_weight, base_rate=result.report.base_rate)
    fit_arrow = pa.table(
        {
            "account_id": pa.array(scored["account_id"].astype(str).tolist(), pa.string()),
            "fit_score": pa.array(scored["fit_score"].astype("float64").tolist(), pa.float64()),
            "fit_tier": pa.array([None if pd.isna(x) else str(x) for x in scored["fit_tier"]], pa.string()),
            "fit_reasons": pa.array([_json_list(r) for r in scored["fit_reasons"]], pa.string()),
            # the account's own history at as_of, beside its fit (account_results)
            "won_n": pa.array(df["won_n"].astype("int64").tolist(), pa.int64()),
            "lost_n": pa.array(df["lost_n"].astype("int64").tolist(), pa.int64()),
            "open_n": pa.array(df["open_n"].astype("int64").tolist(), pa.int64()),
        }
    )
    return fit_arrow, result.report


def _score_win(panel_f: Future, rates_f: Future, as_of: datetime, settings: WorkspaceSettings,
               timings: dict[str, float]) -> tuple[pd.DataFrame, WinReport]:
    """The pure part of the win model (numpy only): safe to run beside engine queries."""
    from ..domain.scoring.win import rates_by_stage, score_open_deals

    panel = panel_f.result().to_pandas()
    rates = rates_by_stage(rates_f.result().to_pandas())
    started = time.perf_counter()
    scores = score_open_deals(panel, rates, as_of=as_of, rules=win_rules(settings))
    timings["win_model"] = round(time.perf_counter() - started, 3)
    return scores.deals, scores.report


def _with_win(opps: pa.Table, deals: pd.DataFrame) -> pa.Table:
    """Fill ``win_probability``, ``win_basis`` and ``win_reasons`` of the open deals scored."""
    by_id = {oid: i for i, oid in enumerate(deals["opportunity_id"].tolist())}
    probs, basis, reasons = deals["win_probability"].tolist(), deals["win_basis"].tolist(), deals["win_reasons"].tolist()
    rows = [by_id.get(oid) for oid in opps.column("opportunity_id").to_pylist()]
    cols = {
        "win_probability": pa.array([None if i is None or probs[i] is None or pd.isna(probs[i]) else float(probs[i])
                                     for i in rows], pa.float64()),
        "win_basis": pa.array([None if i is None else basis[i] for i in rows], pa.string()),
        "win_reasons": pa.array([None if i is None else reasons[i] for i in rows], pa.string()),
    }
    for name, values in cols.items():
        opps = opps.set_column(opps.schema.get_field_index(name), name, values)
    return opps


def run_analysis(
    t: dict[str, ir.Table],
    *,
    as_of: AsOf | datetime,
    settings: WorkspaceSettings,
    progress: Progress | None = None,
    quality: data_quality.DataQuality | None = None,
    sql_cache_dir: Path | None = None,
    results_file: Path | None = None,
    desk_quote_requests: pa.Table | None = None,
) -> Analysis:
    """Every result table at ``as_of``. ``sql_cache_dir``: where compiled SQL is kept between
    processes (engine/sql_cache.py; within a process it is kept in memory anyway).

    ``desk_quote_requests``: quote requests made through the support desk (``opportunity_id``,
    ``quote_id``, ``requested_at``; domain/metrics/desk_requests.py), the request time of
    quotes where the CRM has none.

    ``results_file``: an empty draft of the results file (``storage.results_draft``). On DuckDB
    the engine writes every result table into it itself, stamped with ``as_of``
    (engine/results_file.py), and :attr:`Analysis.written` lists them; elsewhere (PySpark,
    other Ibis backends) the rows come back as Arrow in :attr:`Analysis.tables`, as without it."""
    as_of = AsOf.of(as_of).naive  # expressions compare naive-UTC timestamps (domain/as_of.py)
    step = progress or (lambda s, f: None)
    timings: dict[str, float] = {}

    step("data artefacts", 0.01)
    # Every metric reads the annotated tables: artefacts are flagged once, here, and each
    # metric leaves out what docs/metrics.md says it leaves out.
    started = time.perf_counter()
    dq = quality or data_quality.assess(t, settings)
    # tasks created for someone else, read before annotation drops their wording (delegation.py)
    instructions = delegation.instruction_rows(t["activities"])
    t = dq.annotated
    timings["data_artefacts"] = round(time.perf_counter() - started, 3)
    quote_stages = list(dict.fromkeys([*settings.quote_stages, *dq.quote_stages]))

    plan = _Plan(t, timings, sql_cache_dir=sql_cache_dir, results_file=results_file, as_of=as_of)
    try:
        # DuckDB answers "the next touch after each start" with an ASOF join (efficiency.py)
        with efficiency.asof_joins(plan.pipelined), _numerics_on_one_thread():
            result = _run_plan(plan, t, dq, as_of=as_of, settings=settings, step=step, timings=timings,
                               instructions=instructions, desk_quote_requests=desk_quote_requests,
                               quality=quality, quote_stages=quote_stages)
    except BaseException:
        plan.close(failed=True)
        raise
    plan.close()
    return result


@contextmanager
def _numerics_on_one_thread() -> Iterator[None]:
    """The fits (numpy, scikit-learn) use one BLAS and one OpenMP thread while the analysis runs.

    They run in threads beside the engine on small matrices: OpenBLAS's and OpenMP's own
    threads gain nothing there, and they spin between calls on the cores DuckDB works on (at
    M, about 5 s of CPU, with the engine's queries slower for it). scikit-learn is imported
    first so that the libraries it loads (SciPy's OpenBLAS, OpenMP) are limited too."""
    try:
        import sklearn.linear_model  # noqa: F401 - loads the libraries the limit must reach
        from threadpoolctl import threadpool_limits  # comes with scikit-learn
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        yield
        return
    with threadpool_limits(limits=1):
        yield


def _run_plan(plan: _Plan, t: dict[str, ir.Table], dq: data_quality.DataQuality, *, as_of: datetime,  # noqa: PLR0915
              settings: WorkspaceSettings, step: Progress, timings: dict[str, float],
              quality: data_quality.DataQuality | None, quote_stages: list[str],
              instructions: ir.Table, desk_quote_requests: pa.Table | None = None) -> Analysis:
    window = settings.engagement_window_days
    sla = settings.quote_sla_business_days
    if desk_quote_requests is not None and desk_quote_requests.num_rows:
        # quotes asked for on the request board: their request time where the CRM has none
        desk = plan.load(desk_quote_requests, "desk_quote_requests")
        t = {**t, "quotes": desk_requests.with_desk_requests(t["quotes"], t["opportunities"], desk)}
    users, opps, hist, acts, quotes, contacts = (
        t["users"], t["opportunities"], t["opportunity_history"], t["activities"], t["quotes"], t["contacts"],
    )
    # Activities by as_of with a missing account filled from the contact's, built once: the
    # metrics that read an activity's account that way (follow-up, engagement, effort) get
    # these with contacts=None instead of each joining activities with contacts again.
    # Artefacts stay in (each metric leaves them out itself, and counts some).
    filled = efficiency.with_activity_account(acts.filter(acts.occurred_at <= ibis.literal(as_of)), contacts)
    acts_by_account = plan.table(
        filled.select(*[c for c in _ACCOUNT_ACTIVITY_COLUMNS if c in filled.columns]), "activities_with_account",
        shared_only=True,
    )

    # What Python needs first (the fit's features, titles to classify) is asked for first, so
    # the engine is busy with the heavy metrics while Python classifies titles and fits.
    step("account fit", 0.02)
    fit_frame = plan.call(lambda: _fit_features(t, as_of), "fit_features")
    step("buyer roles from titles", 0.05)
    # decision_level only when the team maps it (and the table has it: older workspaces may not)
    use_level = bool(settings.decision_level_map) and "decision_level" in t["contacts"].columns
    contacts_f = plan.arrow(
        t["contacts"].select("contact_id", "title", *(["decision_level"] if use_level else [])), "contact_titles"
    )
    # a contact's strongest deal role is all build_contact_roles reads of them: each pair once
    ocr = t["opportunity_contact_roles"]
    ocr_f = plan.arrow(ocr.select("contact_id", "role").distinct(), "contact_roles_in")
    # the win model's panel starts at the first deal (domain/metrics/win_features.py)
    win_start_f = plan.call(lambda: _first_deal(opps), "win_data_start")
    win_sample_f = plan.call(lambda: closed_sample(opps, as_of, settings), "win_sample")

    step("efficiency", 0.1)
    # quote and response events are computed once and summarised per seller, account and team
    quote_events, quotes_f = plan.table_and_result(
        efficiency.quote_turnaround_events(
            quotes, opps, hist, as_of=as_of, sla_business_days=sla, quote_stages=quote_stages
        ),
        "quote_events",
    )
    # SLAs in hours are business hours: 24 of them make one business day
    response_events = plan.table(
        efficiency.inbound_response_events(acts, as_of=as_of, sla_business_days=settings.response_sla_hours / 24),
        "inbound_response_events",
    )
    eff_parts = [
        efficiency.summarize_quote_turnaround(quote_events),
        efficiency.summarize_inbound_response(response_events),
        efficiency.meeting_follow_up_latency(
            acts_by_account, None, as_of=as_of, sla_business_days=settings.followup_sla_hours / 24
        ),
        efficiency.stage_velocity(hist, opps, as_of=as_of),
        efficiency.time_to_first_activity(opps, acts, as_of=as_of),
    ]
    names = ["quote_turnaround", "inbound_response", "meeting_follow_up", "stage_velocity", "first_activity"]
    eff_parts = [plan.table(p, n) for p, n in zip(eff_parts, names, strict=True)]
    eff = _outer_join_all(eff_parts, "owner_id")
    eff = eff.select(
        "owner_id",
        quote_turnaround_median_hours=eff.quote_turnaround_median_hours,
        quote_turnaround_n=eff.quote_turnaround_n,
        quote_over_sla_share=eff.quote_turnaround_share_over_sla,
        response_latency_median_hours=eff.inbound_response_latency_median_hours,
        response_latency_n=eff.inbound_response_latency_n,
        followup_latency_median_hours=eff.meeting_follow_up_latency_median_hours,
        followup_latency_n=eff.meeting_follow_up_latency_n,
        stage_velocity_ratio=eff.stage_velocity_median_ratio,
        first_activity_median_hours=eff.time_to_first_activity_median_hours,
        # what the efficiency figures left out (docs/metrics.md)
        quote_closing_document_n=eff.quote_turnaround_closing_document_n,
        stage_spells_artefact_n=eff.stage_velocity_artefact_n,
        stage_spells_entered_late_n=eff.stage_velocity_entered_late_n,
    )
    # read by the process problems, the matrix and the seller table: computed once
    eff = plan.table(eff, "efficiency")
    plan.drop(*names)

    step("tending and creating", 0.2)
    classified = plan.table(
        leadership.classify_activities(acts, opps, as_of=as_of, window_days=window, cases=t["cases"], quotes=quotes),
        "classified_activities",
    )
    tend = plan.table(
        leadership.create_share(acts, opps, as_of=as_of, by="owner_id", window_days=window, classified=classified),
        "create_share_sellers",
    )
    acct_tend = plan.table(
        leadership.create_share(acts, opps, as_of=as_of, by="account_id", window_days=window, classified=classified),
        "create_share_accounts",
    )
    plan.drop("classified_activities")
    tended = leadership.only_tended(acct_tend, window_days=window)

    step("performance", 0.25)
    perf = plan.table(performance.owner_performance(opps, as_of=as_of), "owner_performance")

    step("change", 0.3)
    drivers = tuple(
        replace(d, half=float(settings.dark_after_days)) if d.column == "days_since_last_activity" else d
        for d in change.DRIVERS
    )
    # an org-wide logging stop before as_of: activity windows end there, and reasons say so
    stopped = dq.logging_stopped_at if _clean.logging_stopped_before(as_of, dq.logging_stopped_at) else None
    # one pass over the history for every deal's changes, all-time and in the change window
    opp_changes = plan.table(
        change.opportunity_changes(hist, opps, as_of=as_of, also_within_days=change.WINDOW_DAYS), "opportunity_changes"
    )
    idx = plan.table(
        change.change_index(
            t["accounts"], opps, hist, contacts, acts, as_of=as_of, window_days=change.WINDOW_DAYS, drivers=drivers,
            logging_stopped_at=stopped, changes=opp_changes,
        ),
        "change_index",
    )

    # the account fit: features first, then numpy work in a thread beside the engine and
    # the compiler (engines release the GIL while they execute)
    step("account fit", 0.35)
    fit_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="account-fit")
    fit_future = fit_pool.submit(_score_fit, fit_frame.result(), settings)

    # the win model: each deal as it stood while open, then a numpy fit in a thread (docs/metrics.md)
    step("win probability", 0.37)
    win_panel_f = plan.arrow(
        win_features.deal_panel(opps, hist, acts, as_of=as_of, data_start=win_start_f.result(),
                                closed_sample=win_sample_f.result())
        .order_by(["opportunity_id", "snapshot_at"]),
        "win_panel",
    )
    rates_f = plan.arrow(win_features.stage_win_rates(hist, opps, as_of=as_of), "stage_win_rates")
    win_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="win-model")
    win_future = win_pool.submit(_score_win, win_panel_f, rates_f, as_of, settings, timings)

    step("buyer roles from titles", 0.4)
    contact_roles_pa = build_contact_roles(contacts_f.result(), ocr_f.result(), decision_level_map=settings.decision_level_map)
    contacts_f = ocr_f = None  # type: ignore[assignment] - read: let them go
    contact_roles = plan.load(contact_roles_pa, "contact_roles")
    contact_roles_f = plan.result(contact_roles, "contact_roles") if plan.writes else _done(contact_roles_pa)
    if plan.writes:
        contact_roles_pa = None  # type: ignore[assignment] - the engine has them, and writes them

    step("right people per deal", 0.45)
    # who was touched on each open deal: built once, counted per deal and listed by role
    pairs = plan.table(
        effectiveness.open_deal_pairs(opps, acts_by_account, contact_roles, as_of=as_of, window_days=window),
        "open_deal_pairs",
        shared_only=True,
    )
    deals = plan.table(
        effectiveness.deal_engagement(
            opps, acts_by_account, contact_roles, as_of=as_of, window_days=window, pairs=pairs
        ),
        "deal_engagement",
    )
    roles_expr = effectiveness.deal_roles(
        opps, acts_by_account, contact_roles, as_of=as_of, window_days=window, pairs=pairs
    )
    # each open deal's roles become a JSON list: in SQL where the engine writes the results
    # (read there by the temporary table's name), else in Python
    roles_f = None
    if plan.writes:
        plan.table(roles_expr, "deal_roles")
    else:
        roles_f = plan.arrow(roles_expr, "deal_roles")
    plan.drop("open_deal_pairs")

    fit_arrow, fit_report = fit_future.result()
    fit_pool.shutdown()
    account_fit = plan.load(fit_arrow, "account_fit")
    seller_eff = plan.table(
        effectiveness.seller_effectiveness(
            acts_by_account, contact_roles, account_fit, as_of=as_of, deals=deals, window_days=window
        ),
        "seller_effectiveness",
    )
    seller_eff = seller_eff.rename(multithreading_ratio="multithreading")
    step("leadership and style", 0.6)
    acct_lead, seller_style = _leadership_and_style(plan, t, acts_by_account, contact_roles, idx, acct_tend,
                                                    as_of=as_of, settings=settings, stopped=stopped)
    # effort gaps are the last to read the filled activities and the contacts' roles: both go
    gaps_f = plan.result(
        effectiveness.effort_gaps(
            t["accounts"], acts_by_account, account_fit, as_of=as_of, window_days=window, logging_stopped_at=stopped
        ),
        "effort_gaps",
    )
    # support-map drafts and the readiness signals of open deals (domain/metrics/support.py)
    # the drafts and the touches per (deal, contact) are computed once: readiness reads them too
    support_f = {name: plan.result(expr, name) for name, expr in support.support_tables(
        t, activities=acts_by_account, contact_roles=contact_roles,
        stage_ranks=change.stage_order(hist, opps, as_of=as_of), as_of=as_of, settings=settings,
        keep=lambda expr, name: plan.table(expr, name, shared_only=True)).items()}
    plan.drop("activities_with_account", "contact_roles", "support_touches_per_contact", "support_map_draft",
              "support_backers_draft")

    step("the right-things-right matrix", 0.65)
    # percentiles rank sellers among sellers: support staff and managers own activities too
    seller_ids = users.filter(users.function == "seller").select(owner_id=users.user_id)
    vs = settings.verdict
    seller_eff_figures = eff.semi_join(seller_ids, "owner_id")
    problems_expr, excluded_expr = matrix.process_problems(
        seller_eff_figures, users, seller_miss_share=vs.process_seller_miss_share,
        response_sla_hours=settings.response_sla_hours, process_share=vs.process_share,
        min_measured=vs.process_min_measured,
    )
    problems_f = plan.result(problems_expr, "process_problems", conform=True)
    excluded = plan.table(excluded_expr, "process_excluded")
    mat = plan.table(
        matrix.right_things_right_matrix(
            seller_eff_figures,
            seller_eff.semi_join(seller_ids, "owner_id"),
            efficiency_components=EFFICIENCY_COMPONENTS,
            effectiveness_components=EFFECTIVENESS_COMPONENTS,
            creation=tend.select("owner_id", "create_share", "new_pipeline_amount"),
            min_create_share=vs.min_create_share,
            min_new_pipeline_amount=vs.min_new_pipeline_amount,
            min_peers=vs.min_peers,
            excluded=excluded,
        ),
        "matrix",
    )
    base_rate = fit_report.base_rate
    expected = None
    if base_rate is not None and 0 < base_rate < 1:
        expected = plan.table(
            performance.expected_results(
                opps, account_fit if fit_report.signal else None, as_of=as_of, base_rate=base_rate, z=vs.results_z
            ),
            "expected_results",
        )
    step("delegation style", 0.68)
    style_expr, received_expr = delegation.delegation(
        {**t, "activities": instructions},
        as_of=as_of, rules=delegation_rules(settings), quote_events=quote_events)
    received = plan.table(received_expr, "micromanagement_received")
    delegation_f = plan.result(delegation.style_table(style_expr, received), "delegation_style")
    reps_expr = _reps(users, eff, seller_eff, tend, perf, mat, expected=expected, excluded=excluded,
                      settings=settings, base_rate=base_rate, style=seller_style,
                      micromanagement=delegation.reps_columns(received))
    step("computing seller results", 0.7)
    reps_f = plan.result(reps_expr, "reps", conform=True)
    plan.drop("efficiency", "seller_effectiveness", "process_excluded", "expected_results", "micromanagement_received")

    step("teams", 0.75)
    teams_f = plan.result(_teams(users, mat, tend, perf, quote_events, response_events), "teams", conform=True)
    plan.drop("matrix", "create_share_sellers", "owner_performance")

    step("accounts", 0.8)
    reasons = change.change_reasons(idx, drivers=drivers, logging_stopped_at=stopped)
    acct_eff = _outer_join_all(
        [
            efficiency.summarize_quote_turnaround(quote_events, "account_id"),
            efficiency.summarize_inbound_response(response_events, "account_id"),
        ],
        "account_id",
    )
    acct_eff = plan.table(
        acct_eff.select(
            "account_id",
            quote_turnaround_median_hours=acct_eff.quote_turnaround_median_hours,
            quote_turnaround_n=acct_eff.quote_turnaround_n,
            response_latency_median_hours=acct_eff.inbound_response_latency_median_hours,
            response_latency_n=acct_eff.inbound_response_latency_n,
        ),
        "account_efficiency",
    )
    plan.drop("quote_events", "inbound_response_events")
    accounts_expr = _with_owner_name(
        _accounts(t["accounts"], account_fit, acct_tend, tended, idx, reasons, acct_eff, acct_lead), users)
    # change drivers ("a; b") are stored as a JSON list ["a", "b"]
    accounts_f = plan.result(accounts_expr, "account_results", conform=True, values={
        "change_drivers": results_file.json_list_of_parts(f'{results_file.SOURCE}."change_drivers"')})
    plan.drop("account_efficiency", "create_share_accounts", "change_index", "account_fit")

    # what pages and reports show beside the metrics (domain/metrics/views.py)
    views_f = {name: plan.result(expr, name) for name, expr in read_side_tables(
        t, as_of=as_of, window_days=window, quote_stages=quote_stages).items()}
    views_f.update(support_f)

    step("opportunities", 0.85)
    opps_expr = _with_owner_name(_opportunities(opps, opp_changes, deals, as_of), users)
    win_deals, win_report = win_future.result()
    win_pool.shutdown()
    if plan.writes:
        # each open deal's roles and win probability joined to its row, on the engine
        plan.load(_win_table(win_deals), "win_probabilities")
        opps_f = plan.result(opps_expr, "opportunity_results", conform=True, values=_OPPORTUNITY_VALUES, joins=(
            f"LEFT JOIN ({results_file.role_lists(plan.temp_name('deal_roles'))}) AS _roles "
            f"ON {results_file.SOURCE}.opportunity_id = _roles.opportunity_id "
            f"LEFT JOIN {results_file.quoted(plan.temp_name('win_probabilities'))} AS _win "
            f"ON {results_file.SOURCE}.opportunity_id = _win.opportunity_id"
        ))
    else:
        opps_f = plan.arrow(opps_expr, "opportunity_results", result="opportunity_results")
    plan.drop("opportunity_changes", "deal_engagement", "deal_roles", "win_probabilities")

    step("collecting results", 0.95)
    futures = {"reps": reps_f, "teams": teams_f, "account_results": accounts_f, "opportunity_results": opps_f,
               "contact_roles": contact_roles_f, "effort_gaps": gaps_f, "quote_events": quotes_f,
               "process_problems": problems_f, "delegation_style": delegation_f, **views_f}
    if plan.writes:
        tables: dict[str, pa.Table] = {}
        written = {name: int(f.result()) for name, f in futures.items()}
    else:
        written = {}
        reps_pa = _conform(reps_f.result(), "reps")
        teams_pa = _conform(teams_f.result(), "teams")
        problems_pa = _conform(problems_f.result(), "process_problems")
        accounts_pa = _conform(accounts_f.result(), "account_results")
        change_texts = [_json_list(r.split("; ")) if r else None for r in accounts_pa.column("change_drivers").to_pylist()]
        accounts_pa = accounts_pa.set_column(
            accounts_pa.schema.get_field_index("change_drivers"), "change_drivers", pa.array(change_texts, pa.string())
        )
        assert roles_f is not None
        opps_pa = _with_role_lists(_conform(opps_f.result(), "opportunity_results"), roles_f.result())
        opps_pa = _with_win(opps_pa, win_deals)
        tables = _in_key_order(
            {
                "reps": reps_pa,
                "teams": teams_pa,
                "account_results": accounts_pa,
                "opportunity_results": opps_pa,
                "contact_roles": contact_roles_f.result(),
                "effort_gaps": gaps_f.result(),
                "quote_events": quotes_f.result().combine_chunks(),
                "process_problems": problems_pa,
                "delegation_style": delegation_f.result(),
                **{name: f.result() for name, f in views_f.items()},
            },
            ordered=plan.ordered,
        )
    if quality is None:
        # annotated tables made here are cached on the engine (a persisted frame on Spark):
        # free them now rather than whenever the collector gets to them
        data_quality.release(dq)
        # the intermediate memtables are engine-side too (temporary views holding their rows
        # on Spark); Ibis drops them when their expressions are collected, and those sit in
        # reference cycles: collect now, or a long-lived Spark driver fills up run by run
        gc.collect()
    step("done", 1.0)
    return Analysis(
        as_of=as_of,
        tables=tables,
        fit_report=fit_report,
        win_report=win_report,
        notes=dq.notes(),
        timings=timings,
        written=written,
    )


#: opportunity_results' columns the Arrow path fills in Python (``_with_role_lists``,
#: ``_with_win``), in SQL over the joins run_analysis writes it with
_OPPORTUNITY_VALUES = {
    "roles_engaged": f"CASE WHEN coalesce({results_file.SOURCE}.is_closed, false) THEN NULL "
                     "ELSE coalesce(_roles.roles, '[]') END",
    "win_probability": "_win.win_probability",
    "win_basis": "_win.win_basis",
    "win_reasons": "_win.win_reasons",
}


def _win_table(deals: pd.DataFrame) -> pa.Table:
    """The scored open deals' win columns as a table for the engine (what ``_with_win`` fills)."""
    by_id = {oid: i for i, oid in enumerate(deals["opportunity_id"].tolist())}  # the last row of an id, as _with_win
    probs, basis, reasons = deals["win_probability"].tolist(), deals["win_basis"].tolist(), deals["win_reasons"].tolist()
    rows = list(by_id.values())
    return pa.table({
        "opportunity_id": pa.array(list(by_id), pa.string()),
        "win_probability": pa.array([None if probs[i] is None or pd.isna(probs[i]) else float(probs[i]) for i in rows],
                                    pa.float64()),
        "win_basis": pa.array([basis[i] for i in rows], pa.string()),
        "win_reasons": pa.array([reasons[i] for i in rows], pa.string()),
    })

#: The activity columns the metrics fed ``activities_with_account`` read.
_ACCOUNT_ACTIVITY_COLUMNS = (
    "activity_id", "kind", "direction", "owner_id", "contact_id", "opportunity_id", "account_id", "occurred_at",
    "artefact",
)

#: Each result table's key (domain/results.py): its rows are stored in this order.
_SORT_KEYS = {name: list(keys) for name, keys in RESULT_KEYS.items()}


def _in_key_order(tables: dict[str, pa.Table], *, ordered: AbstractSet[str] = frozenset()) -> dict[str, pa.Table]:
    """Every result table sorted by its key, so the same data always gives the same bytes,
    whatever order an engine returns rows in. Tables in ``ordered`` came back from the engine
    in that order already (an ORDER BY: binary string order, nulls last, as Arrow sorts) and
    are not copied again."""
    return {
        name: t if name in ordered else t.sort_by([(k, "ascending") for k in _SORT_KEYS[name]])
        for name, t in tables.items()
    }


def _ordered(sql: str, keys: list[str]) -> str:
    """``sql``'s rows in the order of ``keys``, ascending, nulls last (as :func:`_in_key_order`)."""
    by = ", ".join('"' + k.replace('"', '""') + '" ASC NULLS LAST' for k in keys)
    return f"SELECT * FROM ({sql}) AS _result ORDER BY {by}"


class _Plan:
    """Runs the analysis's queries: intermediates stay on the engine, results come back as Arrow.

    On DuckDB every query is compiled to SQL in the calling thread and handed to one engine
    thread that runs them in order: Ibis compiles the next query while DuckDB runs the last
    (DuckDB releases the GIL), and that thread is the only one using the connection.  An
    intermediate (``table``) is a temporary table typed as its expression says, so later
    queries read it instead of re-running its sub-query, and nothing large is pulled into
    Python.  Elsewhere (PySpark, other Ibis backends) each query runs when it is asked for and
    intermediates come back as memtables, as before.
    """

    def __init__(self, tables: dict[str, ir.Table], timings: dict[str, float], *,
                 sql_cache_dir: Path | None = None, results_file: Path | None = None,
                 as_of: datetime | None = None) -> None:
        self.timings = timings
        try:
            backend = next(iter(tables.values()))._find_backend()
        except Exception:  # noqa: BLE001 - unbound or mixed tables: run them the plain way
            backend = None
        self._backend = backend
        self.pipelined = getattr(backend, "name", None) == "duckdb"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis-engine") if self.pipelined else None
        self._temp: list[str] = []
        self._temp_of: dict[str, str] = {}  # each intermediate's temporary table, by its name here
        self._pending: list[Future] = []
        # the same expressions (settings, as-of, data quality) compile to the same SQL: kept
        self._sql = SqlCache(f"duckdb {getattr(backend, 'version', '')}", sql_cache_dir) if self.pipelined else None
        #: result tables whose rows the engine returned in key order
        self.ordered: set[str] = set()
        self._as_of = as_of
        #: whether result tables are written by the engine into ``results_file`` (DuckDB)
        self.writes = False
        if self.pipelined and results_file is not None:
            self.writes = self._submit("attach_results", self._attach, results_file).result()

    def _attach(self, path: Path) -> bool:
        try:
            self._backend.con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {results_file.DATABASE}")
        except Exception:  # noqa: BLE001 - a connection that cannot attach a file: results come back as Arrow
            return False
        return True

    # -- what run_analysis asks for -----------------------------------------------------------
    def arrow(self, expr: ir.Table, name: str, *, result: str | None = None) -> Future:
        """The result of ``expr`` as an Arrow table (a future: it may still be running).

        ``result``: the result table these rows become. On DuckDB the engine returns them in
        that table's key order (domain/results.py), so they are not sorted again in Python."""
        if not self.pipelined:
            return _done(_run(expr, name, self.timings))
        sql = self._compile(expr)
        if result is not None:
            sql = _ordered(sql, _SORT_KEYS[result])
            self.ordered.add(result)
        return self._submit(name, self._fetch, expr, sql)

    def run(self, expr: ir.Table, name: str) -> pa.Table:
        return self.arrow(expr, name).result()

    def result(self, expr: ir.Table, name: str, *, conform: bool = False, values: dict[str, str] | None = None,
               joins: str = "") -> Future:
        """The result table ``name``: written by the engine into the results file when the plan
        :attr:`writes` (a future of its row count; ``conform``, ``values`` and ``joins`` say how,
        see engine/results_file.py), else its rows as Arrow in key order (a future: the caller
        conforms them)."""
        if not self.writes:
            return self.arrow(expr, name, result=name)
        sql = self._compile(expr)
        cols = results_file.columns(expr.schema().to_pyarrow(), name, conform=conform, values=values)
        assert self._as_of is not None
        statement = results_file.create(name, results_file.select(sql, name, cols, as_of=self._as_of, joins=joins))
        return self._submit(name, self._write, expr, statement)

    def drop(self, *names: str) -> None:
        """The intermediates ``names`` are read by nothing asked for after this: their temporary
        tables go as soon as the engine has run what was asked for before (it runs in order)."""
        if not self.pipelined:
            return
        temps = [self._temp_of.pop(n) for n in names if n in self._temp_of]
        for temp in temps:
            self._temp.remove(temp)
        if temps:
            self._pending.append(self._submit("_drop", self._drop, temps))

    def temp_name(self, name: str) -> str:
        """The temporary table holding the intermediate ``name`` (DuckDB)."""
        return self._temp_of[name]

    def call(self, fn: Callable[[], Any], name: str) -> Future:
        """Any other engine work (an Ibis ``to_pandas``, say), run where the connection is used."""
        if not self.pipelined:
            return _done(fn())
        return self._submit(name, fn)

    def table(self, expr: ir.Table, name: str, *, shared_only: bool = False) -> ir.Table:
        """``expr`` computed once, as a table later expressions read.

        ``shared_only``: a large intermediate that exists only to be shared; where the plan is
        not pipelined it is left inline in the queries that read it (never pulled into Python)."""
        if not self.pipelined:
            return expr if shared_only else _materialize(expr, name, self.timings)
        sql = self._compile(expr)
        schema = expr.schema()
        temp = self._temp_name(name)
        self._pending.append(self._submit(name, self._create, expr, sql, temp, schema))
        return ibis.table(schema, name=temp)

    def table_and_result(self, expr: ir.Table, name: str) -> tuple[ir.Table, Future]:
        """:meth:`table` that is also the result table ``name``: the table, and its
        :meth:`result` (a future)."""
        if not self.pipelined:
            data = _run(expr, name, self.timings).combine_chunks()
            return ibis.memtable(data), _done(data)
        table = self.table(expr, name)
        if self.writes:
            return table, self.result(table, name)
        return table, self.arrow(table, f"{name}_result", result=name)

    def load(self, data: pa.Table, name: str) -> ir.Table:
        """A table computed in Python, handed to the engine."""
        if not self.pipelined:
            return ibis.memtable(data.combine_chunks())
        temp = self._temp_name(name)
        self._pending.append(self._submit(f"load_{name}", self._create_from_arrow, data, temp))
        return ibis.table(ibis.Schema.from_pyarrow(data.schema), name=temp)

    def close(self, *, failed: bool = False) -> None:
        """Wait for the engine thread, raise what failed (unless the analysis already did),
        and drop the temporary tables."""
        if self._pool is None:
            return
        pool = self._pool
        if failed:
            for f in self._pending:
                f.cancel()
        try:
            for f in self._pending:
                if not failed:
                    f.result()
        finally:
            def drop() -> None:
                try:
                    self._drop(self._temp)
                finally:
                    if self.writes:  # the results file is complete (or to be discarded): let go of it
                        self._backend.con.execute(f"DETACH {results_file.DATABASE}")

            try:
                pool.submit(drop).result()
            except Exception:  # noqa: BLE001 - a failed analysis: the connection may be gone
                if not failed:
                    raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    # -- DuckDB ----------------------------------------------------------------------------------
    def _temp_name(self, name: str) -> str:
        temp = f"_al_{name}_{uuid.uuid4().hex[:12]}"
        self._temp.append(temp)
        self._temp_of[name] = temp
        return temp

    def _drop(self, temps: list[str]) -> None:
        for temp in temps:
            self._backend.con.execute(f'DROP TABLE IF EXISTS "{temp}"')

    def _write(self, expr: ir.Table, statement: str) -> int:
        self._backend._run_pre_execute_hooks(expr)
        row = self._backend.con.execute(statement).fetchone()
        return int(row[0]) if row else 0

    def _compile(self, expr: ir.Table) -> str:
        started = time.perf_counter()
        sql = self._sql.get_or_compile(expr.as_table(), self._backend.compile)
        self.timings["_compile"] = round(self.timings.get("_compile", 0.0) + time.perf_counter() - started, 3)
        return sql

    def _submit(self, name: str, fn: Callable[..., Any], *args: Any) -> Future:
        def job() -> Any:
            started = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.timings[name] = round(time.perf_counter() - started, 3)

        assert self._pool is not None
        return self._pool.submit(job)

    def _fetch(self, expr: ir.Table, sql: str) -> pa.Table:
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        self._backend._run_pre_execute_hooks(expr)
        table = self._backend.con.sql(sql).to_arrow_table()
        return expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)

    def _create(self, expr: ir.Table, sql: str, temp: str, schema: Any) -> None:
        # typed as the expression says (a DuckDB sum of integers is HUGEINT, Ibis says int64),
        # exactly as the Arrow round trip of a memtable would have typed it
        mapper = self._backend.compiler.type_mapper
        cols = ", ".join('"' + c.replace('"', '""') + f'" {mapper.from_ibis(t).sql("duckdb")}' for c, t in schema.items())
        self._backend._run_pre_execute_hooks(expr)
        con = self._backend.con
        con.execute(f'CREATE TEMP TABLE "{temp}" ({cols})')
        con.execute(f'INSERT INTO "{temp}" {sql}')

    def _create_from_arrow(self, data: pa.Table, temp: str) -> None:
        con = self._backend.con
        view = f"{temp}_arrow"
        con.register(view, data)
        try:
            con.execute(f'CREATE TEMP TABLE "{temp}" AS SELECT * FROM "{view}"')
        finally:
            con.unregister(view)


def _done(value: Any) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


def _run(expr: ir.Table, name: str, timings: dict[str, float]) -> pa.Table:
    """Execute one result expression, timing it."""
    started = time.perf_counter()
    table = expr.to_pyarrow()
    timings[name] = round(time.perf_counter() - started, 3)
    return table


def _materialize(expr: ir.Table, name: str, timings: dict[str, float]) -> ir.Table:
    """Run one intermediate result once and hand it on as a small in-memory table.

    Without this, every later expression would inline (and re-run) the whole
    sub-query tree it builds on; the seller table alone would compute deal
    engagement several times over.
    """
    # one chunk per column: PySpark's Arrow path cannot take chunked columns
    return ibis.memtable(_run(expr, name, timings).combine_chunks())


_ROLE_ORDER = {r: i for i, r in enumerate(BUYER_ROLES)}


def _with_role_lists(opps: pa.Table, roles: pa.Table) -> pa.Table:
    """Fill ``roles_engaged`` with each deal's distinct buyer roles, as a JSON list."""
    by_opp: dict[str, list[str]] = {}
    for oid, role in zip(roles.column("opportunity_id").to_pylist(), roles.column("buyer_role").to_pylist(), strict=True):
        by_opp.setdefault(oid, []).append(role)
    lists = []
    for oid, closed in zip(opps.column("opportunity_id").to_pylist(), opps.column("is_closed").to_pylist(), strict=True):
        found = sorted(by_opp.get(oid, []), key=lambda r: _ROLE_ORDER.get(r, 99))
        lists.append(None if closed else json.dumps(found))
    return opps.set_column(opps.schema.get_field_index("roles_engaged"), "roles_engaged", pa.array(lists, pa.string()))


def _teams(users, mat, tend, perf, quote_events, response_events):  # type: ignore[no-untyped-def]
    """Team matrix (mean of member indices) with team-wide efficiency, create share and wins."""
    tm = matrix.team_matrix(mat, users)
    qt = efficiency.summarize_quote_turnaround(quote_events, "team", users=users)
    rl = efficiency.summarize_inbound_response(response_events, "team", users=users)
    members = users.select(_uid=users.user_id, _team=users.team)
    tt = tend.join(members, tend.owner_id == members._uid)
    tt = tt.group_by(team=tt._team).aggregate(_creating=tt.creating_n.sum(), activities_n=tt.activities_n.sum())
    pp = perf.join(members, perf.owner_id == members._uid)
    pp = pp.group_by(team=pp._team).aggregate(
        won_n=pp.won_n.sum(), lost_n=pp.lost_n.sum(), won_amount=pp.bookings.sum(),
        open_pipeline_amount=pp.open_pipeline_amount.sum(),
    )
    out = tm
    for part in (
        qt.select("team", "quote_turnaround_median_hours", "quote_turnaround_n"),
        rl.select("team", response_latency_median_hours=rl.inbound_response_latency_median_hours,
                  response_latency_n=rl.inbound_response_latency_n),
        tt, pp,
    ):
        out = out.left_join(part, "team").drop("team_right")
    closed = out.won_n + out.lost_n
    return out.mutate(
        create_share=ibis.ifelse(out.activities_n > 0, out._creating / out.activities_n, ibis.null("float64")),
        win_rate=ibis.ifelse(closed > 0, out.won_n / closed, ibis.null("float64")),
    ).drop("_creating")


def _outer_join_all(parts: list[ir.Table], key: str) -> ir.Table:
    keys = parts[0].select(key)
    for p in parts[1:]:
        keys = keys.union(p.select(key))
    out = keys.distinct()
    for p in parts:
        out = out.left_join(p, key).drop(f"{key}_right")
    return out


def delegation_rules(settings: WorkspaceSettings) -> delegation.DelegationRules:
    d = settings.delegation
    return delegation.DelegationRules(
        window_days=d.window_days, checkin_days=d.checkin_days, mass_min_owners=d.mass_min_owners,
        mass_window_minutes=d.mass_window_minutes, min_signals=d.min_signals, min_outcome_n=d.min_outcome_n)


def _reps(users, eff, seller_eff, tend, perf, mat, *, expected=None, excluded=None, settings=None,  # type: ignore[no-untyped-def]
          base_rate=None, style=None, micromanagement=None):
    sellers = users.filter(users.function == "seller").select("user_id", "name", "team", "manager_id")
    r = sellers
    for part in (eff, seller_eff, tend, perf, mat, expected, style, micromanagement):
        if part is None:
            continue
        part = part.rename(user_id="owner_id")
        dupes = [c for c in part.columns if c in r.columns and c != "user_id"]
        r = r.left_join(part.drop(*dupes), "user_id").drop("user_id_right")
    # what the figures left out, per seller: zero, not unknown, where nothing was
    left_out = {c: r[c].fill_null(0) for c in EXCLUDED_COUNTS if c in r.columns}
    r = r.mutate(won_amount=r.bookings, new_pipeline_amount=r.new_pipeline_amount.fill_null(0.0), **left_out)
    if excluded is not None:
        ex = excluded.group_by("owner_id").aggregate(_ex=excluded.component.collect().sort())
        r = r.left_join(ex, r.user_id == ex.owner_id).drop("owner_id")
        r = r.mutate(process_excluded=ibis.ifelse(r._ex.length() > 0, r._ex.join(","), ibis.null("string"))).drop("_ex")
    return _with_verdict_note(r, settings or WorkspaceSettings(), base_rate)


def _fmt(x: ir.NumericValue, digits: int = 0) -> ir.StringValue:
    v = x.round(digits)
    return (v.cast("int64") if digits == 0 else v).cast("string")


def _pct_text(x: ir.NumericValue) -> ir.StringValue:
    return _fmt(x * 100) + "%"


def _with_verdict_note(r: ir.Table, settings: WorkspaceSettings, base_rate: float | None) -> ir.Table:
    """``verdict_note``: where the verdict and the seller's results (or the lack of peers) need a word.

    A verdict never contradicts results silently: ``slow`` or ``at_risk`` with wins clearly
    above what the accounts should yield (the interval's low end above 1), or ``leading``
    with wins clearly below it (the high end below 1), carry a note; so does
    ``not_enough_peers``, with the seller's figures against the absolute standards."""
    if "results_vs_expected_low" not in r.columns:
        r = r.mutate(results_vs_expected_low=ibis.null("float64"), results_vs_expected_high=ibis.null("float64"),
                     results_vs_expected=ibis.null("float64"), expected_wins=ibis.null("float64"),
                     expected_n=ibis.null("int64"))
    lo, hi = r.results_vs_expected_low, r.results_vs_expected_high
    facts = (
        "won " + r.won_n.cast("string") + " of " + r.expected_n.cast("string") + " closed deals against "
        + _fmt(r.expected_wins, 1) + " expected from the fit of their accounts (x" + _fmt(r.results_vs_expected, 2)
        + ", interval " + _fmt(lo, 2) + "-" + _fmt(hi, 2) + ")"
    )
    q = r.quadrant
    beat = (lo > 1).fill_null(False) & q.isin(["slow", "at_risk"])
    short = (hi < 1).fill_null(False) & (q == "leading")
    sla = settings.quote_sla_business_days
    absolute = ibis.literal("Judged against absolute standards instead: ")
    parts = [
        ibis.ifelse(r.quote_over_sla_share.notnull(),
                    _pct_text(r.quote_over_sla_share) + f" of quotes over the {sla:g}-business-day SLA",
                    ibis.null("string")),
        ibis.ifelse(r.response_latency_median_hours.notnull(),
                    "median inbound reply " + _fmt(r.response_latency_median_hours, 1)
                    + f" h (SLA {settings.response_sla_hours:g} h)", ibis.null("string")),
        ibis.ifelse(r.win_rate.notnull(),
                    "win rate " + _pct_text(r.win_rate)
                    + (f" against the fit base rate {base_rate:.0%}" if base_rate is not None else ""),
                    ibis.null("string")),
    ]
    joined = ibis.literal("")
    for p in parts:
        joined = ibis.ifelse(p.notnull(), ibis.ifelse(joined == "", p, joined + "; " + p), joined)
    few = q == "not_enough_peers"
    note = ibis.cases(
        (few, "Too few comparable sellers for a percentile verdict (" + r.comparable_sellers_n.cast("string")
         + f", fewer than {settings.verdict.min_peers}). " + absolute
         + ibis.ifelse(joined == "", "no measured standard", joined) + "."),
        (beat, "Results beat the verdict: " + facts + "; the " + q.replace("_", " ")
         + " verdict is about how they work, not what they win."),
        (short, "Results fall short of the verdict: " + facts + "; leading on how they work, below what their "
         "accounts should yield."),
        else_=ibis.null("string"),
    )
    return r.mutate(verdict_note=note)


def _conform(table: pa.Table, name: str) -> pa.Table:
    """Order and type the columns of a result table as its contract says; keep extras after."""
    spec = RESULT_TABLES[name]
    cols: dict[str, pa.Array] = {}
    for c in spec.columns:
        if c.name in table.column_names:
            cols[c.name] = table.column(c.name).cast(ARROW_TYPES[c.type])
        else:
            cols[c.name] = pa.nulls(table.num_rows, ARROW_TYPES[c.type])
    for extra in table.column_names:
        if extra not in cols and not extra.startswith("_"):
            cols[extra] = table.column(extra)
    return pa.table(cols)


def _with_owner_name(t: ir.Table, users: ir.Table) -> ir.Table:
    names = users.select(_uid=users.user_id, owner_name=users.name)
    return t.left_join(names, t.owner_id == names._uid).drop("_uid")


def _leadership_and_style(plan: _Plan, t: dict[str, ir.Table], acts: ir.Table, contact_roles: ir.Table, idx: ir.Table,
                          acct_tend: ir.Table, *, as_of: datetime, settings: WorkspaceSettings,
                          stopped: datetime | None) -> tuple[ir.Table, ir.Table]:
    """Per account the leadership its change calls for, per seller the flexibility of their
    style (domain/metrics/account_leadership.py, style.py)."""
    ls = settings.leadership
    rules = account_leadership.LeadershipRules(
        lead_change_index=ls.lead_change_index, lead_change_index_with_churn=ls.lead_change_index_with_churn,
        lead_role_churn=ls.lead_role_churn, heavy_change_index=ls.heavy_change_index,
        cadence_heavy_days=ls.cadence_heavy_days, cadence_lead_days=ls.cadence_lead_days,
        cadence_steady_days=ls.cadence_steady_days, max_create_share=ls.max_create_share,
        senior_touch_days=ls.senior_touch_days)
    key = account_leadership.key_people(t["contacts"], t["opportunity_contact_roles"], acts, as_of=as_of)
    churn = account_leadership.support_churn(t["contacts"], contact_roles, key, as_of=as_of,
                                             window_days=change.WINDOW_DAYS)
    touches = account_leadership.senior_touches(acts, contact_roles, as_of=_clean.activity_end(as_of, stopped),
                                                days=ls.senior_touch_days)
    lead = plan.table(account_leadership.account_leadership(
        idx, acct_tend, churn, touches, rules=rules, window_days=change.WINDOW_DAYS,
        create_window_days=settings.engagement_window_days), "account_leadership")
    srules = style.StyleRules(
        window_days=ls.style_window_days, heavy_change_index=ls.lead_change_index,
        min_activities=ls.style_min_activities, rigid_max=ls.style_rigid_max,
        underperform_margin=ls.style_underperform_margin, min_activities_situation=ls.style_min_activities_situation,
        min_closed_situation=ls.style_min_closed_situation)
    users = t["users"]
    sellers = users.filter(users.function == "seller").select(owner_id=users.user_id)
    ranks = change.stage_order(t["opportunity_history"], t["opportunities"], as_of=as_of)
    situated = plan.table(style.situated_activities(acts, contact_roles, idx, t["opportunity_history"], ranks,
                                                    as_of=as_of, rules=srules, owners=sellers), "situated_activities")
    per, company = style.situation_results(acct_tend, t["accounts"], t["opportunities"], idx, as_of=as_of, rules=srules)
    flex = plan.table(style.style_flexibility(situated, per, company, sellers, rules=srules), "style_flexibility")
    return lead, flex


def _accounts(accounts, account_fit, acct_tend, tended, idx, reasons, acct_eff, lead=None):  # type: ignore[no-untyped-def]
    a = accounts.select("account_id", "name", "owner_id")
    a = a.left_join(acct_eff, "account_id").drop("account_id_right")
    a = a.left_join(account_fit, "account_id").drop("account_id_right")
    a = a.left_join(acct_tend.select("account_id", "create_share", "activities_n"), "account_id").drop("account_id_right")
    only = tended.select("account_id", only_tended=ibis.literal(True))
    a = a.left_join(only, "account_id").drop("account_id_right")
    a = a.left_join(idx.select("account_id", "change_index"), "account_id").drop("account_id_right")
    a = a.left_join(reasons.select("account_id", "reasons"), "account_id").drop("account_id_right")
    if lead is not None:
        a = a.left_join(lead, "account_id").drop("account_id_right")
    return a.mutate(only_tended=a.only_tended.fill_null(False), change_drivers=a.reasons).drop("reasons")


def _opportunities(opps, changes, deals, as_of):  # type: ignore[no-untyped-def]
    o = opps.filter(opps.created_at.isnull() | (opps.created_at <= ibis.literal(as_of)))
    # closed at as_of: a deal the stage history shows closed is closed, whatever its CloseDate
    o = o.mutate(is_closed=_clean.closed_by(o, as_of))
    o = o.select("opportunity_id", "account_id", "owner_id", "name", "stage", "amount", "is_closed", "close_date", "type")
    ch = changes.select("opportunity_id", "close_date_pushes", "close_date_push_days", "stage_regressions", "amount_cuts")
    o = o.left_join(ch, "opportunity_id").drop("opportunity_id_right")
    d = deals.select(
        "opportunity_id", "buyer_roles_engaged", "has_decision_maker", "contacts_engaged", "multithreading_ratio",
        "multithreading_note",
    )
    o = o.left_join(d, "opportunity_id").drop("opportunity_id_right")
    return o.mutate(
        close_date_pushes=o.close_date_pushes.fill_null(0),
        close_date_push_days=o.close_date_push_days.fill_null(0),
        stage_regressions=o.stage_regressions.fill_null(0),
        amount_cuts=o.amount_cuts.fill_null(0),
    )

"""The result tables `analyze` writes: the contract every front end reads.

The JSON keys of `accountleader show` and the web API come from these columns.
Result tables live beside the CRM tables and carry the as-of date they were computed for.
"""

from __future__ import annotations

from .schema import BUYER_ROLES, OPPORTUNITY_TYPES, SENIORITY_LEVELS, C, Column, Table

#: Bump when result tables change shape or meaning: stored results from an older
#: format are recomputed rather than reused.
RESULTS_FORMAT = 14  # 14: issue 15: delegation_style; reps micromanagement columns. 13: issue 14: support_map_draft, support_backers_draft, opportunity_readiness; account and seller leadership columns
# 12: opportunity_results carry win_probability, win_basis, win_reasons
# 11: the read side's figures (whitespace, timeline, pending quotes, touches, effort)
# 10: account_results carry won_n/lost_n/open_n; the fit model drops territories
# 9: the verdict needs creation (tending), peers and results beside it

REPS = Table(
    "reps",
    "One row per seller: the right-things-right matrix and the measures behind it.",
    (
        C("user_id", "id", "CRM user id of the seller (`users.user_id` of a user whose function is `seller`).", required=True),
        C("name", "string", "Seller's name (`users.name`)."),
        C("team", "string", "The seller's team (`users.team`)."),
        C("manager_id", "id", "CRM user id of the seller's manager (`users.manager_id`)."),
        C("quadrant", "string", "The verdict: leading, tending, busy, slow, at_risk or not_enough_peers; empty when an index is unknown (docs/metrics.md)."),
        C("verdict_note", "string", "Where verdict and results disagree (results beat a slow/at-risk verdict, or fall short of a leading one), or too few peers: what the results or the absolute standards say."),
        C("comparable_sellers_n", "int", "Sellers with both indices: the peers a percentile verdict is taken among."),
        C("process_excluded", "string", "Components left out of this seller's index because most sellers miss them (a process problem), comma-separated."),
        C("efficiency_index", "float", "Doing things right: the mean of the seller's available efficiency component percentiles x 100 (0-100, 50 = the company middle); empty when fewer than half the components are present or there are too few peers."),
        C("effectiveness_index", "float", "Doing the right things: the same over the effectiveness components (high-fit effort, decision-maker reach, senior contacts, multithreading), 0-100."),
        C("warning", "string", "Plain-language warning: tending, an index below 25 or missing, both indices below the middle, or too few peers; else empty."),
        C("quote_turnaround_median_hours", "float", "Median time from the buyer's request to the quote over the seller's measured quotes, calendar hours; empty below 3 quotes."),
        C("quote_turnaround_n", "int", "Quotes measured (status `measured` in `quote_events`): the sample behind the median."),
        C("quote_over_sla_share", "float", "Share of measured quotes slower than the quote SLA (`quote_sla_business_days`, business days), 0-1; empty below 3 quotes."),
        C("response_latency_median_hours", "float", "Median time from an inbound call or email to the next outbound touch to that contact, calendar hours; empty below 3."),
        C("response_latency_n", "int", "Inbound touches answered by as_of: the sample behind the median."),
        C("followup_latency_median_hours", "float", "Median time from a meeting to the seller's next outbound touch to the contact or anyone at the account, calendar hours; empty below 3."),
        C("followup_latency_n", "int", "Meetings followed up by as_of: the sample behind the median."),
        C("stage_velocity_ratio", "float", "Median, over the seller's finished stage spells, of days in stage / the won-deal norm of that stage; above 1 is slower than won deals."),
        C("first_activity_median_hours", "float", "Median time from a deal's creation to its first activity (on the deal, or at its account by its owner), calendar hours."),
        C("high_fit_effort_share", "float", "Activities on tier A/B accounts / activities on accounts with a fit tier (`high_fit_effort_n`), in the window, 0-1; empty below 5, and when the fit model found no signal."),
        C("decision_maker_reach", "float", "Contact-linked activities with an executive, economic buyer or decision maker / all contact-linked activities (`contact_activities_n`) in the window, 0-1; empty below 5."),
        C("senior_contact_share", "float", "Contact-linked activities with c-level, VP or director contacts / all contact-linked activities in the window, 0-1 (unknown seniority is not senior); empty below 5."),
        C("multithreading_ratio", "float", "Median `multithreading_ratio` of the seller's open deals (contacts engaged against the won-deal baseline for the deal's size); empty below 2 deals with a ratio."),
        C("activities_n", "int", "Selling activities the seller owns in the engagement window (list email and open tasks left out)."),
        C("create_share", "float", "Creating activities / classified (creating or tending) activities the seller owns in the window, 0-1; empty below 5."),
        C("new_pipeline_per_100_activities", "float", "`new_pipeline_amount` per 100 classified activities in the window; empty below 5 activities."),
        C("win_rate", "float", "Count-based win rate: won / (won + lost) over the seller's deals closed by as_of, 0-1; empty with none closed."),
        C("win_rate_amount", "float", "Amount-based win rate: won amount / closed (won + lost) amount, 0-1; placeholder amounts are in neither."),
        C("won_n", "int", "The seller's deals won by as_of."),
        C("lost_n", "int", "The seller's deals lost by as_of."),
        C("won_amount", "float", "Bookings: amount of the seller's deals won by as_of (corporate amount when converted; placeholder amounts left out)."),
        C("new_pipeline_amount", "float", "New-business and expansion amount created in the window (placeholder amounts left out)."),
        C("new_pipeline_n", "int", "New-business and expansion deals created in the window."),
        C("expected_n", "int", "Closed deals the expectation is taken over: the sample size."),
        C("expected_wins", "float", "Wins expected from those deals: the sum of each account's fit probability (or the base rate)."),
        C("expected_won_amount", "float", "Won amount expected: the sum of fit probability x deal value."),
        C("expected_basis", "string", "What priced the deals: account fit, account fit with the base rate where unscored, or the base rate (no fit signal)."),
        C("results_vs_expected", "float", "Wins over expected wins: above 1 beats what the accounts should yield."),
        C("results_vs_expected_low", "float", "Low end of the interval on results_vs_expected (wins minus z standard deviations of the expected count)."),
        C("results_vs_expected_high", "float", "High end of that interval."),
        C("results_vs_expected_amount", "float", "Won amount over expected won amount."),
        C("open_pipeline_amount", "float", "Amount of the seller's deals open at as_of (corporate amount when converted; placeholder amounts left out)."),
        C("avg_days_to_close", "float", "Mean days from creation to close on won deals (deals entered late left out)."),
        C("quote_closing_document_n", "int", "Quotes created as closing documents (at or after the commit stage): not turnaround samples."),
        C("stage_spells_artefact_n", "int", "Stage spells starting at a click-through or bulk-loaded history row: not velocity samples."),
        C("stage_spells_entered_late_n", "int", "Stage spells on deals first recorded at the commit stage: not velocity samples."),
        C("entered_late_n", "int", "Deals first recorded at the commit/signature stage or later."),
        C("days_to_close_entered_late_n", "int", "Won deals entered late: left out of days to close."),
        C("placeholder_amount_n", "int", "Deals with a placeholder amount: left out of amount sums and the amount win rate."),
        C("mass_email_n", "int", "List/marketing emails in the window: not touches, reach or effort."),
        C("open_task_n", "int", "Open (not done) tasks in the window: not activity."),
        C("style_flexibility", "float", "How much the seller's approach (kind, seniority targeted, cadence) changes with the situation (change level, stage group, buyer role), 0-1: the mean over the approaches of the best small-sample-corrected uncertainty coefficient U(approach | situation); empty below `leadership.style_min_activities` activities (docs/metrics.md, \"Style flexibility\")."),
        C("style_n", "int", "Seller-owned selling activities in the style window (`leadership.style_window_days`): the sample behind style_flexibility."),
        C("style_examples", "string", "JSON list of plain sentences comparing the seller's approach across situations, e.g. \"same cadence (mostly 3-7 days, ...) for accounts in heavy change and in steady state\"; with the underperformance when locked; empty below the floor."),
        C("style_locked", "bool", "Locked into one style: style_flexibility at most `leadership.style_rigid_max` and underperforming in one change level (create share or win rate there below the company's by the margin, with n); a rigid seller who does well everywhere is not flagged."),
        C("style_note", "string", "Why style_flexibility is empty (too few activities), or why the seller is locked, or that one style holds up everywhere; else empty."),
        C("micromanagement_index", "float", "Micromanagement the seller received, 0-100: the sum of the parts' contributions (step-by-step instructions, check-ins per assignment, overrides and reassignments of their deals, instruction density); empty below `delegation.min_signals` signals (docs/metrics.md, \"Results over obedience: from the CRM\")."),
        C("micromanagement_parts", "string", "JSON object of the index's parts: per part (`steps`, `check_ins`, `overrides`, `reassignments`, `density`) its `rate`, `n` and `contribution`; the outcome comparison is in `delegation_style` (role `received`)."),
        C("micromanagement_n", "int", "Signals behind the index: tasks others created for the seller, overrides and reassignments of their deals in the window."),
        C("micromanagement_reason", "string", "Why micromanagement_index is empty (too few signals); else empty. A seller with no signal at all has no row in delegation_style and all four columns empty."),
    ),
    primary_key="user_id",
)

ACCOUNT_RESULTS = Table(
    "account_results",
    "One row per account: fit, tending versus creating, and change.",
    (
        C("account_id", "id", "CRM account id (`accounts.account_id`).", required=True),
        C("name", "string", "Account name."),
        C("owner_id", "id", "CRM user id of the account owner."),
        C("owner_name", "string", "Account owner's name."),
        C("fit_score", "float", "Calibrated win probability of a deal at the account, in percent (0-100); empty when there is too little history."),
        C("fit_tier", "string", "A, B, C or D from the score's lift over the base rate (absolute cut-offs); empty when the fit model found no signal."),
        C("fit_reasons", "string", "JSON list of up to three reasons behind the score (attribute win rates, the account's own history, attributes left out)."),
        C("won_n", "int", "Deals won at the account by as_of."),
        C("lost_n", "int", "Deals lost at the account by as_of."),
        C("open_n", "int", "Deals open at the account at as_of."),
        C("create_share", "float", "Creating activities / classified (creating or tending) activities at the account in the window, 0-1; empty below 5."),
        C("activities_n", "int", "Classified (creating or tending) activities at the account in the window."),
        C("only_tended", "bool", "Only tended, by create share alone: at least 5 classified activities in the window and a create share of at most 10% (whatever the change; `managed_not_led` adds the change)."),
        C("quote_turnaround_median_hours", "float", "Median request-to-quote time over the account's measured quotes, calendar hours; empty below 3."),
        C("quote_turnaround_n", "int", "Quotes measured."),
        C("response_latency_median_hours", "float", "Median inbound-to-reply time at this account, calendar hours; empty below 3."),
        C("response_latency_n", "int", "Inbound touches answered."),
        C("change_index", "float", "0-100 points: how much the account is changing (close-date pushes, stage regressions, amount cuts, people leaving or arriving, activity going dark or dropping)."),
        C("change_drivers", "string", "JSON list of the top (up to 3) drivers of the change index, biggest first, e.g. \"stage regressions: 2\"."),
        C("champion_departures", "int", "Key people who left in the change window (180 days): primary on one of the account's deals, or its most engaged contact."),
        C("buyer_role_churn", "int", "Decision-side buyer roles (executive, economic buyer, decision maker, champion) in which someone left or arrived in the change window."),
        C("senior_touches_n", "int", "Selling touches of c-level, VP or director contacts at the account in the last `leadership.senior_touch_days` days, by anyone."),
        C("last_senior_touch_days", "float", "Days since the latest senior-contact touch by as_of; empty when there never was one."),
        C("leadership_mode", "string", "`lead` when the change index reaches `leadership.lead_change_index` (or `lead_change_index_with_churn` with a champion gone or buyer roles churned), else `manage` (docs/metrics.md, \"Leadership mode and review cadence\").", enum=("lead", "manage")),
        C("review_cadence_days", "int", "Recommended review rhythm in days: `cadence_heavy_days` at `heavy_change_index` or more, `cadence_lead_days` in lead mode, else `cadence_steady_days`."),
        C("managed_not_led", "bool", "In change but managed, not led: lead mode, create share at most `leadership.max_create_share` (with its sample floor) and no senior contact touched in `leadership.senior_touch_days`."),
        C("leadership_reasons", "string", "JSON list of plain sentences with the numbers behind the mode, cadence and flag."),
    ),
    primary_key="account_id",
)

OPPORTUNITY_RESULTS = Table(
    "opportunity_results",
    "One row per opportunity: people engaged and change signals.",
    (
        C("opportunity_id", "id", "CRM opportunity id (`opportunities.opportunity_id`); deals created after as_of are left out.", required=True),
        C("account_id", "id", "CRM account id of the deal."),
        C("owner_id", "id", "CRM user id of the deal's owner (the seller)."),
        C("owner_name", "string", "The owner's name."),
        C("name", "string", "Deal name."),
        C("stage", "string", "The deal's stage in the imported data (its latest, not the stage at as_of)."),
        C("amount", "float", "The deal's amount as imported, in the deal's currency."),
        C("is_closed", "bool", "Closed at as_of: closed in the CRM by then, or earlier when the stage history shows it closed."),
        C("close_date_pushes", "int", "Times the close date moved later in the deal's history by as_of (artefact history rows never count)."),
        C("close_date_push_days", "float", "Total calendar days the close date moved later (pull-ins do not offset it)."),
        C("stage_regressions", "int", "Moves back to a lower-ranked open stage (stages ranked by their mean probability)."),
        C("amount_cuts", "int", "Times the amount went down."),
        C("buyer_roles_engaged", "int", "Distinct buyer roles (`unknown` left out) among the contacts engaged in the window; open deals only, empty on closed ones."),
        C("roles_engaged", "string", "JSON list of those buyer roles, most senior first; empty on closed deals."),
        C("has_decision_maker", "bool", "An executive, economic buyer or decision maker was engaged in the window (open deals)."),
        C("contacts_engaged", "int", "Distinct contacts engaged on the open deal in the window (activities naming the deal, or its account without naming another deal)."),
        C("multithreading_ratio", "float", "contacts_engaged / the median contacts engaged on won deals of the same amount band; empty (with `multithreading_note`) when there is no baseline."),
        C("win_probability", "float", "Calibrated probability (0-1) that the open deal is won, from the win model or its stage-rate fallback (see win_basis); empty on closed deals."),
        C("win_basis", "string", "Where win_probability comes from: `model` (the win model), `stage_rate` (too few closed deals or no signal: the historical win rate of deals that reached the deal's stage) or `none` (no closed deals); empty on closed deals.", enum=("model", "stage_rate", "none")),
        C("win_reasons", "string", "JSON list of plain-words reasons: the strongest factors up (+) and down (-) with the win rate of closed deals like it, or why the fallback was used; empty on closed deals."),
    ),
    primary_key="opportunity_id",
)

TEAMS = Table(
    "teams",
    "One row per team: the matrix as the mean of its sellers' indices, and team totals.",
    (
        C("team", "string", "Team name (`users.team`).", required=True),
        C("sellers_n", "int", "The team's sellers in the matrix (with an efficiency or effectiveness figure)."),
        C("quadrant", "string", "leading, busy, slow or at_risk from the mean indices (no tending at team level); empty when a mean is unknown."),
        C("efficiency_index", "float", "Mean of the sellers' efficiency indices, 0-100."),
        C("effectiveness_index", "float", "Mean of the sellers' effectiveness indices, 0-100."),
        C("warning", "string", "Plain-language warning where a mean index is low or missing, or both are below the middle."),
        C("quote_turnaround_median_hours", "float", "Median request-to-quote time over the team's measured quotes, calendar hours; empty below 3."),
        C("quote_turnaround_n", "int", "Quotes measured."),
        C("response_latency_median_hours", "float", "Median inbound-to-reply time over the team's answered inbound touches, calendar hours; empty below 3."),
        C("response_latency_n", "int", "Inbound touches answered."),
        C("create_share", "float", "Creating activities / classified activities over the team, 0-1."),
        C("activities_n", "int", "Classified activities in the window."),
        C("win_rate", "float", "Count-based win rate over the team's closed deals, 0-1."),
        C("won_n", "int", "Deals won by the members, by as_of."),
        C("lost_n", "int", "Deals lost by the members, by as_of."),
        C("won_amount", "float", "Bookings: the members' won amounts summed."),
        C("open_pipeline_amount", "float", "The members' open pipeline amounts summed."),
    ),
    primary_key="team",
)

PROCESS_PROBLEMS = Table(
    "process_problems",
    "One row per standard most sellers of the company (or of a team) miss: a process problem, not a person's.",
    (
        C("scope", "string", "`company` (most measured sellers of the company miss the standard) or `team` (most of one team's).", required=True),
        C("team", "string", "The team, for a team-wide problem; empty company-wide."),
        C("component", "string", "The efficiency component left out of the affected sellers' index.", required=True),
        C("process", "string", "The process, e.g. quoting."),
        C("owner", "string", "Who owns the process, e.g. the quote desk (pricing)."),
        C("standard", "string", "The standard missed, in words (e.g. the quote SLA)."),
        C("sellers_n", "int", "Sellers measured on the standard in the scope."),
        C("affected_n", "int", "Of them, sellers missing it."),
        C("share", "float", "affected_n / sellers_n, 0-1."),
    ),
    primary_key="component, scope, team",
)

RESULT_TABLES = {t.name: t for t in (REPS, TEAMS, ACCOUNT_RESULTS, OPPORTUNITY_RESULTS, PROCESS_PROBLEMS)}

# -- What else analyze writes, described for docs/data-model.md -----------------------------------
#
# Nothing below is read by the engine: `_conform` (engine/analyze.py) orders and types only the
# columns of RESULT_TABLES.  A contract table keeps the further columns its metrics produce, after
# its own, and analyze writes more tables beside them.  They are described here so that
# docs/data-model.md names every table and column analyze writes (tests/docs checks it against
# an analysed demo company).

#: Columns analyze writes after a contract table's own, in the order it writes them (the order
#: and type the metrics give them: not conformed).
RESULT_EXTRA_COLUMNS: dict[str, tuple[Column, ...]] = {
    "reps": (
        C("high_fit_effort_n", "int", "Activities in the window on accounts with a fit tier: the denominator of high_fit_effort_share."),
        C("contact_activities_n", "int", "Contact-linked activities in the window: the denominator of decision_maker_reach and senior_contact_share."),
        C("multithreading_n", "int", "The seller's open deals with a multithreading ratio: the sample behind multithreading_ratio."),
        C("effectiveness_note", "string", "Why an effectiveness figure is empty (too few tiered or contact-linked activities, too few deals with a ratio); else empty."),
        C("creating_n", "int", "Activities in the window classified as creating business (docs/metrics.md, tending vs creating)."),
        C("tending_n", "int", "Activities in the window classified as tending existing business."),
        C("bookings", "float", "Amount won by as_of: the same figure as won_amount, under the performance metric's name."),
        C("closed_amount", "float", "Amount of the seller's deals closed (won or lost) by as_of: the denominator of win_rate_amount."),
        C("open_n", "int", "The seller's deals open at as_of."),
        C("weighted_pipeline_amount", "float", "Open pipeline weighted by probability: the sum of amount x probability / 100 over open deals."),
        C("weighted_pipeline_n", "int", "Open deals with both an amount and a probability: those in weighted_pipeline_amount."),
        C("days_to_close_n", "int", "Won deals measured for avg_days_to_close."),
        C("days_to_close_excluded_n", "int", "Won deals left out of days to close: closed before created, or a negative cycle."),
        C("avg_days_open", "float", "Mean age in days (fractional) of the seller's deals open at as_of."),
        C("days_open_n", "int", "Open deals measured for avg_days_open."),
        C("closed_n", "int", "The seller's deals closed by as_of: won_n + lost_n."),
        C("quote_turnaround_median_hours_pct", "float", "Percentile (0-1, 1 = best: fastest) of quote_turnaround_median_hours among the sellers that have it; empty when unmeasured, left out for a process problem, or too few peers."),
        C("response_latency_median_hours_pct", "float", "Percentile (0-1, 1 = fastest) of response_latency_median_hours among the sellers that have it."),
        C("followup_latency_median_hours_pct", "float", "Percentile (0-1, 1 = fastest) of followup_latency_median_hours among the sellers that have it."),
        C("stage_velocity_ratio_pct", "float", "Percentile (0-1, 1 = fastest) of stage_velocity_ratio among the sellers that have it."),
        C("first_activity_median_hours_pct", "float", "Percentile (0-1, 1 = fastest) of first_activity_median_hours among the sellers that have it."),
        C("high_fit_effort_share_pct", "float", "Percentile (0-1, 1 = highest) of high_fit_effort_share among the sellers that have it."),
        C("decision_maker_reach_pct", "float", "Percentile (0-1, 1 = highest) of decision_maker_reach among the sellers that have it."),
        C("senior_contact_share_pct", "float", "Percentile (0-1, 1 = highest) of senior_contact_share among the sellers that have it."),
        C("multithreading_ratio_pct", "float", "Percentile (0-1, 1 = highest) of multithreading_ratio among the sellers that have it."),
        C("efficiency_components_n", "int", "Efficiency component percentiles the seller has (of 5): the index needs at least 3."),
        C("effectiveness_components_n", "int", "Effectiveness component percentiles the seller has (of 4): the index needs at least 2."),
        C("expected_fit_n", "int", "Closed deals priced by the account's fit score (the rest take the base rate); absent when the fit model gave no base rate."),
    ),
    "teams": (
        C("efficiency_n", "int", "Members with an efficiency index: those the team's mean is taken over."),
        C("effectiveness_n", "int", "Members with an effectiveness index: those the team's mean is taken over."),
    ),
    "opportunity_results": (
        C("close_date", "date", "The deal's close date as imported (expected, or actual when closed)."),
        C("type", "string", "Deal type: new_business, expansion or renewal; empty when unknown.", enum=OPPORTUNITY_TYPES),
        C("multithreading_note", "string", "Why multithreading_ratio is empty on an open deal (no or a placeholder amount, too few won deals in its band, a zero baseline); else empty."),
    ),
}

CONTACT_ROLES = Table(
    "contact_roles",
    "One row per contact: the buyer role and seniority every people metric reads (docs/metrics.md, title and contact-role rules).",
    (
        C("contact_id", "id", "CRM contact id.", required=True, references="contacts.contact_id"),
        C("buyer_role", "string", "The contact's buyer role: from their deal roles when one is informative (the strongest wins), else the mapped decision_level, else the title.", enum=BUYER_ROLES),
        C("seniority", "string", "Seniority read from the title.", enum=SENIORITY_LEVELS),
        C("role_source", "string", "Where buyer_role came from (`none`: nothing informative, role unknown).", enum=("contact_role", "decision_level", "title", "none")),
    ),
    primary_key="contact_id",
)

EFFORT_GAPS = Table(
    "effort_gaps",
    "One row per account where effort and potential disagree: a starved A/B account or a C/D account soaking up effort.",
    (
        C("account_id", "id", "CRM account id.", required=True, references="accounts.account_id"),
        C("owner_id", "id", "CRM user id of the account owner."),
        C("fit_score", "float", "The account's fit score, 0-100."),
        C("fit_tier", "string", "The account's fit tier (A-D); accounts without one never appear."),
        C("activities_n", "int", "Selling activities at the account in the window (ending at an org-wide logging stop, if earlier)."),
        C("gap", "string", "`starved`: A/B account with fewer than 3 activities in the window; `soaking`: C/D account in the top 20% of active accounts by activities, with at least 5.", enum=("starved", "soaking")),
        C("reason", "string", "The gap in words, e.g. \"Tier A account (fit 85) with 0 activities in 90 days (starved below 3)\"."),
    ),
    primary_key="gap, account_id",
)

QUOTE_EVENTS = Table(
    "quote_events",
    "One row per quote made by as_of: from the buyer's request to the quote, the samples behind quote turnaround.",
    (
        C("quote_id", "id", "CRM quote id.", required=True, references="quotes.quote_id"),
        C("opportunity_id", "id", "The quote's deal."),
        C("owner_id", "id", "The deal's owner: the seller the quote counts for."),
        C("quoted_at", "timestamp", "When the quote went out: sent_at when known, else created_at."),
        C("account_id", "id", "The quote's account, else the deal's."),
        C("requested_at", "timestamp", "When the buyer asked for it: the quote's or the deal's request field, else the deal's first entry into a quote stage."),
        C("basis", "string", "What requested_at was taken from; empty when there is no request time.", enum=("requested_field", "stage_entry")),
        C("status", "string", "`measured` (a turnaround sample); `no_request_time`; `negative` (quoted before the request: a data-quality note); `closing_document` (created at or after the commit stage: no sample).", enum=("measured", "no_request_time", "negative", "closing_document")),
        C("hours", "float", "Calendar hours from request to quote; measured quotes only."),
        C("business_days", "float", "Business days (Monday-Friday, fractional) from request to quote; measured quotes only."),
        C("over_sla", "bool", "Slower than the quote SLA (more than `quote_sla_business_days` business days); measured quotes only."),
    ),
    primary_key="quote_id",
)

ACCOUNT_PEERS = Table(
    "account_peers",
    "One row per account: its industry and employee band, and how many similar accounts there are (for whitespace).",
    (
        C("account_id", "id", "CRM account id.", required=True, references="accounts.account_id"),
        C("industry", "string", "The account's industry; empty when unknown."),
        C("size_band", "string", "Employee band: 1-49, 50-249, 250-999, 1,000-4,999, 5,000+, or unknown."),
        C("similar_accounts_n", "int", "Other accounts of the same industry and band (0 when the industry is unknown)."),
    ),
    primary_key="account_id",
)

ACCOUNT_PRODUCTS = Table(
    "account_products",
    "One row per account and product: a product it won by as_of (bought), or whitespace: a product similar accounts won that it has not.",
    (
        C("account_id", "id", "CRM account id.", required=True, references="accounts.account_id"),
        C("product", "string", "The product (`opportunities.product` of the won deals).", required=True),
        C("bought", "bool", "True: the account won a deal for the product by as_of; false: whitespace."),
        C("similar_accounts_bought_n", "int", "Whitespace: similar accounts (same industry and band) that won the product; empty when bought."),
        C("similar_accounts_n", "int", "Whitespace: the account's similar accounts; empty when bought."),
        C("share", "float", "Whitespace: similar_accounts_bought_n / similar_accounts_n, 0-1 (unrounded); empty when bought."),
        C("open_deal", "bool", "Whitespace: the account has an open deal for the product; empty when bought."),
    ),
    primary_key="account_id, product",
)

ACCOUNT_TIMELINE = Table(
    "account_timeline",
    "One row per change event at an account by as_of: a close date moved later, a stage change or an amount cut (each against the deal's previous history row), or a contact leaving.",
    (
        C("account_id", "id", "CRM account id.", required=True, references="accounts.account_id"),
        C("opportunity_id", "id", "The deal changed; empty for a person leaving."),
        C("owner_id", "id", "The deal's owner; empty for a person leaving."),
        C("opportunity", "string", "The deal's name; empty for a person leaving."),
        C("at", "timestamp", "When: the history row's changed_at, or the contact's departed_at."),
        C("kind", "string", "What happened (bulk-loaded history rows are no events).", enum=("close_date_pushed", "stage_changed", "amount_cut", "person_left")),
        C("kind_rank", "int", "Orders the events of one history row: 0 close date, 1 stage, 2 amount, 3 person."),
        C("history_id", "id", "The opportunity_history row; empty for a person leaving."),
        C("contact_id", "id", "The contact who left; empty otherwise."),
        C("from_text", "string", "Before: the previous close date or stage; the person's name for a person leaving."),
        C("to_text", "string", "After: the new close date or stage; the person's title for a person leaving."),
        C("from_amount", "float", "An amount cut's previous amount; empty otherwise."),
        C("to_amount", "float", "An amount cut's new amount; empty otherwise."),
    ),
    primary_key="account_id, kind, opportunity_id, history_id, contact_id",
)

PENDING_QUOTES = Table(
    "pending_quotes",
    "One row per deal open at as_of that is waiting for a quote: requested by as_of, none made yet.",
    (
        C("opportunity_id", "id", "CRM opportunity id.", required=True, references="opportunities.opportunity_id"),
        C("account_id", "id", "The deal's account."),
        C("owner_id", "id", "The deal's owner."),
        C("name", "string", "Deal name."),
        C("stage", "string", "The deal's stage as imported."),
        C("amount", "float", "The deal's amount as imported."),
        C("requested_at", "timestamp", "When the quote was requested: the deal's request field, else its first entry into a quote stage (click-through and bulk-loaded rows are no request)."),
        C("business_days_waiting", "float", "Weekdays from the request's day to as_of's day (the request day counts, as_of's does not)."),
    ),
    primary_key="opportunity_id",
)

CONTACT_TOUCHES = Table(
    "contact_touches",
    "One row per contact, activity owner and activity account: touches by as_of, so a scope counts only the touches it may see.",
    (
        C("contact_id", "id", "CRM contact id.", required=True, references="contacts.contact_id"),
        C("owner_id", "id", "Who owned the activities."),
        C("account_id", "id", "The activities' account (as logged)."),
        C("touches_n", "int", "Activities with the contact by as_of (data-artefact activities are no touches)."),
        C("last_touch", "timestamp", "The latest of them."),
    ),
    primary_key="contact_id, owner_id, account_id",
)

ACCOUNT_EFFORT = Table(
    "account_effort",
    "One row per activity owner and account with activity in the engagement window.",
    (
        C("owner_id", "id", "CRM user id of the activities' owner (a seller, manager or anyone else who logs activity).", required=True),
        C("account_id", "id", "The account (the contact's when the activity names none).", required=True),
        C("activities_n", "int", "Selling activities in the window (list email and open tasks left out)."),
    ),
    primary_key="owner_id, account_id",
)

SUPPORT_MAP_DRAFT = Table(
    "support_map_draft",
    "One row per open opportunity and buyer contact with a contact-role row or engagement on the deal in the window: the support map's buyer side as the CRM suggests it, every row inferred (docs/metrics.md, \"Support maps, readiness and momentum\").",
    (
        C("opportunity_id", "id", "The open deal.", required=True, references="opportunities.opportunity_id"),
        C("contact_id", "id", "The buyer contact.", required=True, references="contacts.contact_id"),
        C("contact_name", "string", "The contact's name."),
        C("title", "string", "The contact's title."),
        C("buyer_role", "string", "The contact's buyer role (`contact_roles`).", enum=BUYER_ROLES),
        C("crm_role", "string", "The deal's contact role as written in the CRM (`opportunity_contact_roles.role`); empty without a role row."),
        C("is_primary", "bool", "The CRM marks the contact primary on the deal."),
        C("stance", "string", "Inferred stance: champion, supporter, neutral, skeptic or blocker (rules in docs/metrics.md).", enum=("champion", "supporter", "neutral", "skeptic", "blocker")),
        C("influence", "string", "Inferred influence from buyer role and seniority: high, medium or low.", enum=("high", "medium", "low")),
        C("access", "string", "`direct` when we touched the contact on the deal, `through` otherwise (or when they left).", enum=("direct", "through")),
        C("last_touch_at", "timestamp", "The latest activity with the contact on the deal by as_of."),
        C("inbound_30d", "int", "Inbound emails and calls from the contact on the deal in the last `readiness.recent_days` days."),
        C("meetings_30d", "int", "Meetings with the contact on the deal in the last `readiness.recent_days` days (a logged meeting counts as accepted: exports hold no invitation status)."),
        C("outbound_30d", "int", "Outbound emails and calls to the contact on the deal in the same days."),
        C("departed_at", "timestamp", "When the contact left the company, where known."),
        C("left_company", "bool", "The contact had left by as_of: no longer on the map (a champion leaving is churn)."),
        C("crm_stance", "string", "The stance the CRM role states (champion or blocker words, `readiness.champion_roles`, `readiness.blocker_roles`); else empty.", enum=("champion", "blocker")),
        C("evidence", "string", "Why the draft says so, in plain words with the counts behind it."),
    ),
    primary_key="opportunity_id, contact_id",
)

SUPPORT_BACKERS_DRAFT = Table(
    "support_backers_draft",
    "One row per open opportunity and support user who worked on it (an activity naming the deal by as_of): the support map's internal backers as the CRM suggests them, inferred.",
    (
        C("opportunity_id", "id", "The open deal.", required=True, references="opportunities.opportunity_id"),
        C("user_id", "id", "The backer (`users.user_id`, function `support`).", required=True, references="users.user_id"),
        C("name", "string", "The backer's name."),
        C("function", "string", "Backer function read from title and department (docs/metrics.md).", enum=("pricing", "sales_engineering", "legal", "delivery", "executive_sponsor", "other")),
        C("ask", "string", "What the function is asked for on a deal, in plain words."),
        C("commitment", "string", "`delivered` (a quote after a pricing backer's first activity, or a meeting with a buyer for any other function), else `asked`; `committed` is for people to say.", enum=("asked", "committed", "delivered")),
        C("first_at", "timestamp", "Their first activity on the deal."),
        C("last_at", "timestamp", "Their latest activity on the deal."),
        C("activities_n", "int", "Their activities on the deal by as_of."),
        C("evidence", "string", "Why the draft says so."),
    ),
    primary_key="opportunity_id, user_id",
)

OPPORTUNITY_READINESS = Table(
    "opportunity_readiness",
    "One row per open opportunity: the signals proposal readiness reads (docs/metrics.md, \"Proposal readiness\") and momentum; the score itself is assessed when read, over the support map with people's edits.",
    (
        C("opportunity_id", "id", "The open deal.", required=True, references="opportunities.opportunity_id"),
        C("stage", "string", "The deal's stage at as_of (its latest real history row, else its stage)."),
        C("stage_probability", "float", "The stage's rank: the mean probability (0-100) of history rows in that stage."),
        C("economic_buyer_days", "float", "Days from the last touch of an economic buyer on the deal to as_of; empty when none was touched."),
        C("economic_buyer_n", "int", "Economic buyers on the draft map."),
        C("contacts_engaged", "int", "Contacts touched on the deal in the engagement window."),
        C("contacts_baseline", "float", "Median contacts engaged on won deals in the window before they entered the same stage."),
        C("contacts_baseline_n", "int", "Won deals behind that median."),
        C("known_contacts_n", "int", "Buyer contacts on the draft map who have not left."),
        C("champions_n", "int", "Drafted champions."),
        C("blockers_n", "int", "Drafted blockers."),
        C("champions_left_n", "int", "Contacts whose CRM role says champion and who left the company by as_of."),
        C("backers_n", "int", "Drafted internal backers."),
        C("backers_asked_n", "int", "Of them, asked and nothing delivered."),
        C("inbound_30d", "int", "Momentum part: inbound emails and calls from buyers on the deal in the last 30 days."),
        C("inbound_prev_30d", "int", "The same in the 30 days before."),
        C("meetings_30d", "int", "Momentum part: meetings with buyers on the deal in the last 30 days."),
        C("meetings_prev_30d", "int", "The same in the 30 days before."),
        C("new_stakeholders_30d", "int", "Momentum part: contacts first touched on the deal in the last 30 days."),
        C("new_stakeholders_prev_30d", "int", "The same in the 30 days before."),
        C("momentum", "float", "(last 30 days - previous 30) / (both), over the three parts summed: -1 to 1; empty with no events."),
        C("momentum_n", "int", "Events behind momentum: the sample size."),
        C("cooling", "bool", "momentum at or below `readiness.cooling_momentum` with at least `readiness.cooling_min_events` events."),
    ),
    primary_key="opportunity_id",
)


def _delegation_columns() -> tuple[Column, ...]:
    parts = {
        "steps": "share of classified instructions (steps + outcomes) written as steps",
        "check_ins": "check-ins per assignment",
        "overrides": "overrides per deal touched",
        "reassignments": "reassignments per deal touched",
        "density": "assignments per deal touched",
    }
    out: list[Column] = []
    for name, what in parts.items():
        out += [
            C(f"part_{name}_rate", "float", f"Part `{name}`: {what}; empty without a denominator."),
            C(f"part_{name}_n", "int", f"Part `{name}`: its denominator (the sample)."),
            C(f"part_{name}_contribution", "float", f"Part `{name}`: its points in the index (weight x the rate scaled to 0-1 x 100)."),
        ]
    return tuple(out)


def _outcome_columns() -> tuple[Column, ...]:
    out: list[Column] = []
    for side, which in (("touched", "the deals the style touched"), ("other", "the same sellers' other deals")):
        out += [
            C(f"{side}_closed_n", "int", f"Closed deals among {which} (created in the window)."),
            C(f"{side}_win_rate", "float", f"Win rate of {which}, 0-1; empty below `delegation.min_outcome_n` closed deals."),
            C(f"{side}_win_rate_low", "float", "Low end of its 95% Wilson interval."),
            C(f"{side}_win_rate_high", "float", "High end of its 95% Wilson interval."),
            C(f"{side}_cycle_days", "float", f"Mean days from creation to close of the won deals among {which}; empty below the minimum."),
            C(f"{side}_cycle_days_low", "float", "Low end of its 95% normal interval."),
            C(f"{side}_cycle_days_high", "float", "High end of its 95% normal interval."),
            C(f"{side}_cycle_days_n", "int", "Won deals measured."),
            C(f"{side}_quote_turnaround_days", "float", f"Mean business days from request to quote (measured quotes, `quote_events`, averaged per deal) over {which}; empty below the minimum."),
            C(f"{side}_quote_turnaround_days_low", "float", "Low end of its 95% normal interval."),
            C(f"{side}_quote_turnaround_days_high", "float", "High end of its 95% normal interval."),
            C(f"{side}_quote_turnaround_days_n", "int", "Deals with a measured quote."),
        ]
    return tuple(out)


DELEGATION_STYLE = Table(
    "delegation_style",
    "One row per person and role: `exercised` by whoever created tasks for others, or edited or moved a seller's deal; `received` by whoever got them. The delegation signals in the window, the micromanagement index with its parts, and the outcomes of the deals the style touched against the same sellers' other deals (docs/metrics.md, \"Results over obedience: from the CRM\").",
    (
        C("user_id", "id", "CRM user id.", required=True),
        C("role", "string", "`exercised` (the person gave the tasks, made the edits) or `received` (the person got them).", required=True, enum=("exercised", "received")),
        C("name", "string", "The user's name."),
        C("function", "string", "The user's function (`users.function`)."),
        C("team", "string", "The user's team."),
        C("signals_n", "int", "Tasks for others + overrides + reassignments: the sample behind the index."),
        C("tasks_n", "int", "Tasks created for another person in the window (mass-created tasks left out)."),
        C("steps_n", "int", "Of those, written as steps (domain/instructions.py)."),
        C("outcome_n", "int", "Of those, written as an outcome ask."),
        C("checkins_n", "int", "Of those, check-ins."),
        C("checkins_matched_n", "int", "Check-ins within `delegation.checkin_days` after an assignment by the same creator to the same owner."),
        C("assignments_n", "int", "Tasks that are not check-ins."),
        C("from_chain_share", "float", "Share of the tasks where the creator is the owner's manager or above (three levels), 0-1."),
        C("counterparts_n", "int", "Distinct owners the person gave tasks to (exercised) or creators they got tasks from (received)."),
        C("overrides_n", "int", "Edits of a deal by someone in its owner's management chain (one per deal, person and minute)."),
        C("reassignments_n", "int", "Owner changes between users by a person (exercised: made; received: deals moved to or from the seller)."),
        C("deals_n", "int", "Distinct deals touched by the tasks, overrides and reassignments."),
        *_delegation_columns(),
        C("micromanagement_index", "float", "0-100: the sum of the parts' contributions; empty below `delegation.min_signals` signals."),
        C("micromanagement_parts", "string", "The parts as JSON: per part its `rate`, `n` and `contribution`."),
        C("micromanagement_reason", "string", "Why the index is empty; else empty."),
        *_outcome_columns(),
        C("outcome_reason", "string", "Why the win rates are not compared (too few closed deals on a side); else empty."),
    ),
    primary_key="user_id, role",
)


#: The tables analyze writes beside the contract tables: the evidence behind the figures and what
#: pages and reports show beside them (domain/metrics/views.py).  No contract: their columns are as
#: the metric that computes them returns them.
SUPPORTING_TABLES = {
    t.name: t
    for t in (
        CONTACT_ROLES, EFFORT_GAPS, QUOTE_EVENTS,
        ACCOUNT_PEERS, ACCOUNT_PRODUCTS, ACCOUNT_TIMELINE, PENDING_QUOTES, CONTACT_TOUCHES, ACCOUNT_EFFORT,
        SUPPORT_MAP_DRAFT, SUPPORT_BACKERS_DRAFT, OPPORTUNITY_READINESS, DELEGATION_STYLE,
    )
}

#: Each table's key: analyze writes its rows sorted by these columns (engine/analyze.py
#: ``_SORT_KEYS`` is made from this).
RESULT_KEYS: dict[str, tuple[str, ...]] = {
    "reps": ("user_id",),
    "teams": ("team",),
    "account_results": ("account_id",),
    "opportunity_results": ("opportunity_id",),
    "contact_roles": ("contact_id",),
    "effort_gaps": ("gap", "account_id"),
    "quote_events": ("quote_id",),
    "process_problems": ("component", "scope", "team"),
    "account_peers": ("account_id",),
    "account_products": ("account_id", "product"),
    "account_timeline": ("account_id", "kind", "opportunity_id", "history_id", "contact_id"),
    "pending_quotes": ("opportunity_id",),
    "contact_touches": ("contact_id", "owner_id", "account_id"),
    "account_effort": ("owner_id", "account_id"),
    "support_map_draft": ("opportunity_id", "contact_id"),
    "support_backers_draft": ("opportunity_id", "user_id"),
    "opportunity_readiness": ("opportunity_id",),
    "delegation_style": ("user_id", "role"),
}

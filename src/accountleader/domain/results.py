"""The result tables `analyze` writes: the contract every front end reads.

The JSON keys of `accountleader show` and the web API come from these columns.
Result tables live beside the CRM tables and carry the as-of date they were computed for.
"""

from __future__ import annotations

from .schema import C, Table

REPS = Table(
    "reps",
    "One row per seller: the right-things-right matrix and the measures behind it.",
    (
        C("user_id", "id", "CRM user id of the seller.", required=True),
        C("name", "string", "Seller's name."),
        C("team", "string", "Team name."),
        C("manager_id", "id", "The seller's manager."),
        C("quadrant", "string", "leading, busy, slow or at_risk; empty when an index is unknown."),
        C("efficiency_index", "float", "0-100 percentile index of doing things right."),
        C("effectiveness_index", "float", "0-100 percentile index of doing the right things."),
        C("warning", "string", "Plain-language warning where an index is low."),
        C("quote_turnaround_median_hours", "float", "Median request-to-quote time, business hours."),
        C("quote_turnaround_n", "int", "Quotes measured."),
        C("quote_over_sla_share", "float", "Share of quotes slower than the SLA, 0-1."),
        C("response_latency_median_hours", "float", "Median inbound-to-reply time, hours."),
        C("response_latency_n", "int", "Inbound touches answered."),
        C("followup_latency_median_hours", "float", "Median meeting-to-follow-up time, hours."),
        C("followup_latency_n", "int", "Meetings followed up."),
        C("stage_velocity_ratio", "float", "Days in stage against the won-deal norm; above 1 is slower."),
        C("first_activity_median_hours", "float", "Median time to first activity on new deals, hours."),
        C("high_fit_effort_share", "float", "Share of activities on tier A/B accounts, 0-1."),
        C("decision_maker_reach", "float", "Share of contact activities with decision makers, 0-1."),
        C("senior_contact_share", "float", "Share of contact activities with VP-and-above contacts, 0-1."),
        C("multithreading_ratio", "float", "Contacts engaged per open deal against the won-deal baseline."),
        C("activities_n", "int", "Activities in the window."),
        C("create_share", "float", "Share of classified activities that create business, 0-1."),
        C("new_pipeline_per_100_activities", "float", "New + expansion amount created per 100 activities."),
        C("win_rate", "float", "Count-based win rate: won / (won + lost), 0-1."),
        C("win_rate_amount", "float", "Amount-based win rate: won amount / closed amount, 0-1."),
        C("won_n", "int", "Deals won."),
        C("lost_n", "int", "Deals lost."),
        C("won_amount", "float", "Bookings: amount won."),
        C("open_pipeline_amount", "float", "Open pipeline amount."),
        C("avg_days_to_close", "float", "Mean days from creation to close on won deals (deals entered late left out)."),
        C("quote_closing_document_n", "int", "Quotes created as closing documents (at or after the commit stage): not turnaround samples."),
        C("stage_spells_artefact_n", "int", "Stage spells starting at a click-through or bulk-loaded history row: not velocity samples."),
        C("stage_spells_entered_late_n", "int", "Stage spells on deals first recorded at the commit stage: not velocity samples."),
        C("entered_late_n", "int", "Deals first recorded at the commit/signature stage or later."),
        C("days_to_close_entered_late_n", "int", "Won deals entered late: left out of days to close."),
        C("placeholder_amount_n", "int", "Deals with a placeholder amount: left out of amount sums and the amount win rate."),
        C("mass_email_n", "int", "List/marketing emails in the window: not touches, reach or effort."),
        C("open_task_n", "int", "Open (not done) tasks in the window: not activity."),
    ),
    primary_key="user_id",
)

ACCOUNT_RESULTS = Table(
    "account_results",
    "One row per account: fit, tending versus creating, and change.",
    (
        C("account_id", "id", "CRM account id.", required=True),
        C("name", "string", "Account name."),
        C("owner_id", "id", "Account owner."),
        C("owner_name", "string", "Account owner's name."),
        C("fit_score", "float", "0-100 fit score; empty when there is too little history."),
        C("fit_tier", "string", "A, B, C or D."),
        C("fit_reasons", "string", "JSON list of the reasons behind the score."),
        C("create_share", "float", "Share of activities that create business, 0-1."),
        C("activities_n", "int", "Activities in the window."),
        C("only_tended", "bool", "Managed, not led: activity but (almost) nothing created."),
        C("quote_turnaround_median_hours", "float", "Median request-to-quote time on this account, business hours."),
        C("quote_turnaround_n", "int", "Quotes measured."),
        C("response_latency_median_hours", "float", "Median inbound-to-reply time at this account, hours."),
        C("response_latency_n", "int", "Inbound touches answered."),
        C("change_index", "float", "0-100: how much the account is changing."),
        C("change_drivers", "string", "JSON list of the drivers of the change index."),
    ),
    primary_key="account_id",
)

OPPORTUNITY_RESULTS = Table(
    "opportunity_results",
    "One row per opportunity: people engaged and change signals.",
    (
        C("opportunity_id", "id", "CRM opportunity id.", required=True),
        C("account_id", "id", "Account."),
        C("owner_id", "id", "Seller."),
        C("owner_name", "string", "Seller's name."),
        C("name", "string", "Deal name."),
        C("stage", "string", "Stage."),
        C("amount", "float", "Amount."),
        C("is_closed", "bool", "Closed."),
        C("close_date_pushes", "int", "Times the close date moved later."),
        C("close_date_push_days", "float", "Total days the close date moved later."),
        C("stage_regressions", "int", "Moves back to an earlier stage."),
        C("amount_cuts", "int", "Times the amount went down."),
        C("buyer_roles_engaged", "int", "Distinct buyer roles engaged in the window (open deals)."),
        C("roles_engaged", "string", "JSON list of the buyer roles engaged."),
        C("has_decision_maker", "bool", "A decision maker, economic buyer or executive was reached."),
        C("contacts_engaged", "int", "Distinct contacts engaged in the window."),
        C("multithreading_ratio", "float", "Contacts engaged against the won-deal baseline for its size."),
    ),
    primary_key="opportunity_id",
)

TEAMS = Table(
    "teams",
    "One row per team: the matrix as the mean of its sellers' indices, and team totals.",
    (
        C("team", "string", "Team name.", required=True),
        C("sellers_n", "int", "Sellers in the team."),
        C("quadrant", "string", "leading, busy, slow or at_risk, from the mean indices."),
        C("efficiency_index", "float", "Mean of the sellers' efficiency indices, 0-100."),
        C("effectiveness_index", "float", "Mean of the sellers' effectiveness indices, 0-100."),
        C("warning", "string", "Plain-language warning where an index is low."),
        C("quote_turnaround_median_hours", "float", "Median request-to-quote time over the team's quotes."),
        C("quote_turnaround_n", "int", "Quotes measured."),
        C("response_latency_median_hours", "float", "Median inbound-to-reply time over the team."),
        C("response_latency_n", "int", "Inbound touches answered."),
        C("create_share", "float", "Creating activities / classified activities over the team, 0-1."),
        C("activities_n", "int", "Classified activities in the window."),
        C("win_rate", "float", "Count-based win rate over the team's closed deals, 0-1."),
        C("won_n", "int", "Deals won."),
        C("lost_n", "int", "Deals lost."),
        C("won_amount", "float", "Bookings."),
        C("open_pipeline_amount", "float", "Open pipeline."),
    ),
    primary_key="team",
)

RESULT_TABLES = {t.name: t for t in (REPS, TEAMS, ACCOUNT_RESULTS, OPPORTUNITY_RESULTS)}

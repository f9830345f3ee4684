"""Typed settings.

Two levels:

* ``Environment``: process-wide, from ``ACCOUNTLEADER_*`` variables (workspace path,
  app database URL, secret key).
* ``WorkspaceSettings``: per workspace, stored in ``<workspace>/settings.yaml`` and edited
  through the CLI or the web Settings page (SLA, stage mapping, engine, ICP rules).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

DEFAULT_WORKSPACE = Path("accountleader-workspace")
SETTINGS_FILE = "settings.yaml"
#: the app database a workspace holds when no database URL is given (store/db.py)
APP_SQLITE_FILE = "app.sqlite"
#: The buyer roles a decision-level value may map to (domain.schema.BUYER_ROLES; config may
#: not import the domain, a test keeps the two equal).
BuyerRoleName = Literal[
    "executive", "economic_buyer", "decision_maker", "champion", "technical_evaluator", "user", "procurement", "unknown"
]


class Environment(BaseSettings):
    """Settings read from the environment at start-up."""

    model_config = SettingsConfigDict(env_prefix="ACCOUNTLEADER_", extra="ignore")

    workspace: Path = DEFAULT_WORKSPACE
    database_url: str | None = None
    secret_key: str | None = None
    env: Literal["development", "production", "test"] = "development"

    @field_validator("secret_key")
    @classmethod
    def _no_placeholder_secret(cls, v: str | None) -> str | None:
        if v is not None and v.strip().lower() in {"changeme", "secret", "change-me", ""}:
            raise ValueError("ACCOUNTLEADER_SECRET_KEY is a placeholder; set a real random value")
        return v


class Limits(BaseSettings):
    """Caps on untrusted input, process-wide, from ``ACCOUNTLEADER_MAX_*`` variables.

    They are set by whoever runs the server or the CLI, not in ``settings.yaml``: a web admin
    cannot lift them. Web caps are enforced before the app reads a byte (web/limits.py),
    import caps while archives are unpacked and files parsed (importers/source.py, rawtable.py).
    """

    model_config = SettingsConfigDict(env_prefix="ACCOUNTLEADER_", extra="ignore")

    max_body_mb: float = Field(1.0, gt=0, le=1024)  # any request body but an import upload
    max_upload_mb: float = Field(512.0, gt=0, le=100 * 1024)  # the import upload (POST /import)
    max_unzipped_mb: float = Field(2048.0, gt=0, le=1024 * 1024)  # all members of one .zip, unpacked
    max_zip_ratio: float = Field(100.0, ge=1)  # unpacked / packed size of one member ...
    zip_ratio_after_mb: float = Field(8.0, ge=0)  # ... checked once the member unpacks past this
    max_rows: int = Field(5_000_000, ge=1)  # data rows per input file
    max_columns: int = Field(500, ge=1)  # columns per input file

    @staticmethod
    def mb(value: float) -> int:
        return int(value * 1024 * 1024)


def limits() -> Limits:
    try:
        return Limits()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"environment: ACCOUNTLEADER_{str(first['loc'][0]).upper()}: {first['msg']}") from None


class EngineSettings(BaseModel):
    """Which analytics engine runs the metrics.

    ``duckdb`` (default) uses the workspace's embedded database. ``pyspark`` runs on a
    local or remote Spark (``master``). Any other name is passed to ``ibis.connect`` as a
    URL (``url``), e.g. ``postgres://...`` or ``bigquery://project/dataset``.
    """

    kind: str = "duckdb"
    master: str = "local[2]"
    url: str | None = None
    # Map canonical table names onto tables that already live in the engine
    # (e.g. Fivetran-landed Salesforce tables), read in place with no copy.
    source: Literal["workspace", "fivetran"] = "workspace"
    source_schema: str | None = None
    # DuckDB keeps a buffer cache of up to 80% of RAM by default; a bound keeps a big
    # analysis from crowding out everything else on a shared machine (it spills to disk).
    # An analysis process peaks about 1.3 GiB above it (Python, its libraries, what DuckDB
    # allocates beside its buffers): 1.5GB keeps analyze at L (1M deals) under 3 GiB (issue 12).
    duckdb_memory_limit: str = Field("1.5GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")


class ArtefactSettings(BaseModel):
    """Thresholds of the data-artefact detectors (docs/metrics.md, "Data artefacts")."""

    click_through_seconds: float = Field(60.0, ge=0, le=3600)
    bulk_min_records: int = Field(20, ge=2)
    mass_email_min_contacts: int = Field(10, ge=2)
    mass_email_window_minutes: int = Field(10, ge=1, le=1440)
    placeholder_max_amount: float = Field(100.0, ge=0)
    placeholder_repeat_share: float = Field(0.3, gt=0, le=1)
    placeholder_repeat_min: int = Field(10, ge=2)
    logging_drop_ratio: float = Field(0.2, gt=0, lt=1)
    logging_min_quiet_days: int = Field(21, ge=7)


class VerdictSettings(BaseModel):
    """Thresholds of the seller verdict (docs/metrics.md, "The right-things-right matrix")."""

    min_create_share: float = Field(0.2, ge=0, le=1)
    min_new_pipeline_amount: float = Field(0.0, ge=0)
    min_peers: int = Field(5, ge=2)
    process_seller_miss_share: float = Field(0.9, gt=0, le=1)
    process_share: float = Field(0.6, gt=0, le=1)
    process_min_measured: int = Field(3, ge=1)
    results_z: float = Field(1.96, gt=0, le=5)


class WinSettings(BaseModel):
    """The win probability model (docs/metrics.md, "Win probability")."""

    # Fewer closed deals than this (or fewer won or lost than min_each_outcome): no model, open
    # deals get the historical win rate of deals that reached their stage (win_basis stage_rate).
    min_closed_deals: int = Field(100, ge=10)
    min_each_outcome: int = Field(20, ge=1)
    # Keys of the deals' mapped `attributes` (CSV mapping or Salesforce custom fields) that are
    # win features, e.g. [competitor, rfp]. None by default: a field such as a loss reason would
    # leak the outcome.
    attributes: list[str] = Field(default_factory=list)
    # Above this many closed deals the model learns from a fixed sample of them (analysis time).
    max_training_deals: int = Field(5_000, ge=100)


class LeadershipSettings(BaseModel):
    """The leadership an account's change calls for, and seller style flexibility (docs/metrics.md,
    "Leadership mode and review cadence", "Style flexibility")."""

    # lead, not manage: a change index at or above this ...
    lead_change_index: float = Field(40.0, ge=0, le=100)
    # ... or at or above this with a champion gone or lead_role_churn buyer roles churned
    lead_change_index_with_churn: float = Field(20.0, ge=0, le=100)
    lead_role_churn: int = Field(2, ge=1)
    # review cadence (days): heavy change (change index at or above heavy_change_index), lead, steady
    heavy_change_index: float = Field(60.0, ge=0, le=100)
    cadence_heavy_days: int = Field(7, ge=1, le=365)
    cadence_lead_days: int = Field(14, ge=1, le=365)
    cadence_steady_days: int = Field(30, ge=1, le=365)
    # managed, not led: lead mode, create share at most this, no senior touch in senior_touch_days
    max_create_share: float = Field(0.2, ge=0, le=1)
    senior_touch_days: int = Field(30, ge=1, le=365)
    # style flexibility over this many days of a seller's activities, with a floor
    style_window_days: int = Field(180, ge=30, le=730)
    style_min_activities: int = Field(100, ge=10)
    # locked: flexibility at or below this and underperforming in a change level by the margin
    style_rigid_max: float = Field(0.1, ge=0, le=1)
    style_underperform_margin: float = Field(0.1, ge=0, le=1)
    style_min_activities_situation: int = Field(20, ge=1)
    style_min_closed_situation: int = Field(5, ge=1)


class DelegationSettings(BaseModel):
    """Delegation style from the CRM and the micromanagement index (docs/metrics.md, "Results over
    obedience: from the CRM")."""

    window_days: int = Field(365, ge=30, le=1095)
    # a check-in counts for an assignment by the same creator to the same owner this many days before it
    checkin_days: int = Field(7, ge=1, le=60)
    # mass-created: one creator, one subject, at least this many owners within the minutes
    mass_min_owners: int = Field(5, ge=2)
    mass_window_minutes: int = Field(10, ge=1, le=1440)
    # below this many signals (tasks for others + overrides + reassignments): no index
    min_signals: int = Field(10, ge=1)
    # below this many deals on either side: no outcome comparison
    min_outcome_n: int = Field(5, ge=1)


class ReadinessSettings(BaseModel):
    """Proposal readiness, momentum and the support-map draft (docs/metrics.md, "Support maps,
    readiness and momentum")."""

    # the draft's stance rules look at this many days before the as-of
    recent_days: int = Field(30, ge=7, le=180)
    # CRM contact-role words (any case, part of the role) that state a stance
    champion_roles: list[str] = Field(default_factory=lambda: ["champion", "coach"])
    blocker_roles: list[str] = Field(default_factory=lambda: ["blocker", "opponent", "detractor"])
    # outbound touches in recent_days a contact left unanswered (no reply, no meeting) before
    # the draft calls them a blocker (decision-level contacts) or a skeptic (anyone else)
    unanswered_touches: int = Field(4, ge=2, le=50)
    # readiness: economic buyer not engaged in this many days
    economic_buyer_days: int = Field(30, ge=1, le=365)
    # single-threaded: contacts engaged below this share of the won-deal baseline at the stage
    single_thread_share: float = Field(0.5, gt=0, le=1)
    # backers are needed from this stage probability (the stage's rank, 0-100) by function
    backer_needed_from: dict[str, float] = Field(default_factory=lambda: {
        "pricing": 50.0, "sales_engineering": 50.0, "legal": 75.0, "delivery": 75.0,
        "executive_sponsor": 75.0, "other": 75.0,
    })
    # momentum: cooling when momentum is at or below this with at least cooling_min_events events
    cooling_momentum: float = Field(-0.5, ge=-1, lt=0)
    cooling_min_events: int = Field(4, ge=1)
    # points each gap takes off the 100
    points: dict[str, float] = Field(default_factory=lambda: {
        "no_champion": 25.0, "economic_buyer_silent": 20.0, "blocker_without_plan": 20.0,
        "backer_not_committed": 10.0, "single_threaded": 15.0, "engagement_cooling": 10.0,
    })
    # fewer buyer contacts known on the deal (role rows or engagement): no score
    min_known_contacts: int = Field(1, ge=0)
    # the readiness backtest looks at closed deals as they first entered one of these stages
    proposal_stages: list[str] = Field(default_factory=lambda: ["Proposal/Price Quote", "Proposal", "Quote"])


class RequestSettings(BaseModel):
    """Support requests (issue 15; docs/metrics.md, "Results over obedience")."""

    # fewer decisions (or done requests) than this: the rate is not given, the reason says why
    min_decisions: int = Field(5, ge=1, le=1000)
    # `accountleader requests remind`: open requests needed within this many days
    remind_within_days: int = Field(2, ge=0, le=90)


class NotificationSettings(BaseModel):
    """Email on assignment, proposal, decision and due date. Off while ``smtp_host`` is empty."""

    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # a CA bundle (PEM) the server's certificate is checked against (a private CA); none: the system's
    smtp_ca_file: str | None = None
    sender: str = "accountleader@localhost"
    # the web app's address, for the links in the emails (``{base_url}/requests/{id}``)
    base_url: str = "http://127.0.0.1:8000"


class WorkspaceSettings(BaseModel):
    """Settings a sales leader or RevOps analyst tunes per workspace."""

    quote_sla_business_days: float = Field(2.0, gt=0, le=60)
    response_sla_hours: float = Field(24.0, gt=0, le=24 * 30)
    followup_sla_hours: float = Field(48.0, gt=0, le=24 * 30)
    dark_after_days: int = Field(30, ge=1, le=365)
    engagement_window_days: int = Field(90, ge=7, le=730)
    # Stage names (case-insensitive) that mean "a quote was asked for".
    quote_stages: list[str] = Field(
        default_factory=lambda: ["Proposal/Price Quote", "Proposal", "Quote", "Negotiation/Review"]
    )
    corporate_currency: str = "USD"
    icp_rules_file: str | None = None
    icp_blend_weight: float = Field(0.5, ge=0, le=1)
    # Contact decision-level picklist value (JobLevel__c, Level__c, ...) -> buyer role. When
    # set it beats the title (docs/metrics.md, "Right people"); empty = the field is ignored.
    decision_level_map: dict[str, BuyerRoleName] = Field(default_factory=dict)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    # Result snapshots kept, one per as-of date (the current one always among them); older
    # as-of dates are pruned first (docs/data-model.md, "Result snapshots").
    results_snapshots_kept: int = Field(5, ge=1, le=100)
    artefacts: ArtefactSettings = Field(default_factory=ArtefactSettings)
    verdict: VerdictSettings = Field(default_factory=VerdictSettings)
    win: WinSettings = Field(default_factory=WinSettings)
    readiness: ReadinessSettings = Field(default_factory=ReadinessSettings)
    leadership: LeadershipSettings = Field(default_factory=LeadershipSettings)
    delegation: DelegationSettings = Field(default_factory=DelegationSettings)
    requests: RequestSettings = Field(default_factory=RequestSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)

    @classmethod
    def load(cls, workspace: Path) -> WorkspaceSettings:
        path = workspace / SETTINGS_FILE
        if not path.exists():
            return cls()
        import yaml  # loaded when a workspace has a settings file (issue 12, fast start)

        try:
            raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc})") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of settings")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}: setting {loc!r}: {first['msg']}") from None

    def save(self, workspace: Path) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of one."""
        import tempfile

        import yaml

        workspace.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)
        fd, tmp = tempfile.mkstemp(dir=workspace, prefix=".settings-", suffix=".yaml")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, workspace / SETTINGS_FILE)


# -- secrets in URLs ---------------------------------------------------------------------------
#
# A connection URL names where its password comes from, never the password itself:
# ``postgres://analyst@warehouse/crm?password_env=PGPASSWORD`` (an environment variable) or
# ``...?password_file=secrets/warehouse.password`` (a file inside the workspace). The engine
# resolves the reference only when it connects (engine/warehouse.py). A password written into
# a URL by hand still works, but every read (API, pages, CLI, messages) shows it as ``****``.

MASK = "****"
#: Query parameters naming where the password is: kept and shown, they hold no secret.
SECRET_REFERENCES = ("password_env", "password_file")
_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|key|credential|auth", re.IGNORECASE)


def _secret_params(query: str) -> list[str]:
    return [k for k, _ in parse_qsl(query, keep_blank_values=True)
            if k not in SECRET_REFERENCES and _SECRET_PARAM.search(k)]


def url_has_secret(url: str | None) -> bool:
    """Whether ``url`` carries a password (in its user part or as a query parameter)."""
    if not url or "://" not in url:
        return False
    parts = urlsplit(url)
    return (parts.password is not None) or bool(_secret_params(parts.query))


def mask_url(url: str | None) -> str | None:
    """``url`` with any password (user part or a secret-looking query parameter) as ``****``."""
    if not url or "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        creds, host = netloc.rsplit("@", 1)
        if ":" in creds:
            netloc = f"{creds.split(':', 1)[0]}:{MASK}@{host}"
    query = parts.query
    if _secret_params(query):
        pairs = [(k, MASK if k not in SECRET_REFERENCES and _SECRET_PARAM.search(k) else v)
                 for k, v in parse_qsl(query, keep_blank_values=True)]
        query = urlencode(pairs, safe="*/")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_text(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """A message with every URL's password masked, and the given secret values replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return re.sub(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+", lambda m: mask_url(m.group(0)) or "", text)


def keep_masked_url(new: str | None, stored: str | None) -> str | None:
    """A URL given back as it was read (masked) keeps the stored one, secret and all.

    Any other URL carrying ``****`` or an inline password is refused: passwords belong in
    ``password_env=NAME`` or ``password_file=PATH``."""
    if new is not None and stored is not None and new == mask_url(stored):
        return stored
    if new and MASK in new:
        raise ConfigError("engine.url: a masked URL (****) can only be given back unchanged; "
                          "name the password with ?password_env=NAME or ?password_file=PATH")
    if url_has_secret(new):
        raise ConfigError("engine.url: do not put a password in the URL; name it with ?password_env=NAME "
                          "(an environment variable) or ?password_file=PATH (a file inside the workspace)")
    return new


def public_settings(settings: WorkspaceSettings) -> dict[str, Any]:
    """The settings as everyone may read them: secrets in URLs masked."""
    data = settings.model_dump(mode="json")
    data["engine"]["url"] = mask_url(data["engine"].get("url"))
    return data


# -- files named by settings --------------------------------------------------------------------


def workspace_file(workspace: Path, value: str, *, setting: str) -> Path:
    """The file a setting names, which must lie inside the workspace (symlinks resolved).

    A relative path is taken from the workspace; ``..`` escapes, absolute paths elsewhere and
    links pointing out are refused. Messages name the setting and path, never file content."""
    root = Path(workspace).resolve()
    given = Path(value).expanduser()
    target = (given if given.is_absolute() else root / given).resolve()
    if not target.is_relative_to(root):
        raise ConfigError(f"{setting}: {value!r} is outside the workspace; put the file in {root} "
                          "and give its path relative to it")
    if not target.is_file():
        raise ConfigError(f"{setting}: no file at {value!r} (relative paths are looked up in the workspace)")
    return target


def environment() -> Environment:
    try:
        return Environment()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"environment: {first['loc'][0]}: {first['msg']}") from None

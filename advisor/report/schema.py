"""report.json: a versioned schema. Field names are a contract; extend, don't rename."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuaranteeOut(_Out):
    """A route threshold's finite-sample guarantee and its check on held-out examples."""

    margin: float = Field(description="Bound on the expected loss versus the teacher: E[(teacher - route)+].")
    delta: float = Field(description="The bound holds on new traffic with probability >= 1 - delta.")
    method: str = Field(description="ltt-binomial or ltt-hoeffding-bentkus (Learn-then-Test, fixed order).")
    calibration_risk: float
    test_risk: float = Field(description="Loss measured on the test split, not used to choose the threshold.")
    test_risk_upper: float = Field(description="One-sided 1 - delta upper bound from the test split.")
    held_on_test: bool = Field(description="test_risk <= margin.")
    n_calibration: int
    n_test: int


class SavingsOut(_Out):
    """Expected saving versus the teacher alone."""

    monthly_usd: float
    monthly_ci: tuple[float, float] = Field(
        description="Routes: from the escalation-rate interval; students: a point (per-call costs are means)."
    )
    horizon_usd: float = Field(description="Over the horizon, net of one-time costs.")
    horizon_ci: tuple[float, float]
    break_even_months: float | None


class FrontierPointOut(_Out):
    """A route at one threshold."""

    threshold: float | None = Field(description="None: escalate every call (the teacher alone).")
    escalation_rate: float
    quality: float
    cost_per_call_usd: float


class VerdictOut(_Out):
    """The recommendation."""

    decision: Literal["keep_teacher", "distill", "route"]
    student: str | None = Field(description="Student that replaces the teacher or goes first in the route.")
    threshold: float | None = Field(description="Route: escalate to the teacher below this confidence.")
    reason: str
    binding_constraint: str = Field(
        description="The constraint that decided: quality_gap, max_slice_gap, cost, p95_latency_ms, "
        "horizon_months, budget_usd_per_month."
    )
    risks: list[str] = Field(default_factory=list)
    savings: SavingsOut | None = Field(default=None, description="Expected saving versus the teacher alone.")
    signal: str | None = Field(default=None, description="Route: the confidence signal used.")
    tiers: list[str] = Field(default_factory=list, description="Route: models called, in order.")
    guarantee: GuaranteeOut | None = Field(default=None, description="Route: what its threshold guarantees.")
    monitor: list[str] = Field(default_factory=list, description="What to watch in production.")


class LatencyOut(_Out):
    """Per-call latency in milliseconds."""

    p50: float
    p90: float
    p95: float
    p99: float
    n: int
    source: Literal["measured", "recorded"] = Field(
        description="'measured': timed by this run (local models at batch size 1, or HTTP calls); "
        "'recorded': latencies from the uploaded logs."
    )


class SweepPointOut(_Out):
    """Throughput and per-call latency at one batch size and concurrency."""

    batch_size: int
    concurrency: int = Field(description="Batches in flight at once.")
    calls_per_s: float
    p50_ms: float
    p95_ms: float = Field(description="Per-call p95: a call waits for its whole batch.")
    p99_ms: float


class ServingOut(_Out):
    """How a self-hosted model is served on the instance it is priced on."""

    instance: str = Field(description="'cloud/instance_type' the cost uses.")
    basis: Literal["measured", "projected"] = Field(
        description="'measured': this machine is that hardware; 'projected': derived (see method)."
    )
    method: str = Field(description="'measured on this machine', 'roofline' or 'cpu-core-scaling'.")
    batch_size: int
    concurrency: int
    calls_per_s: float = Field(description="Largest throughput per replica whose p95 meets the SLO.")
    p95_ms: float
    meets_slo: bool = Field(description="False: no point met the SLO; the lowest-latency one was used.")
    replicas: int = Field(description="Replicas for the peak of the monthly volume (at least min_replicas).")
    monthly_usd: float
    average_utilisation: float = Field(description="Busy share of the fleet's measured capacity.")
    assumptions: list[str] = Field(default_factory=list)
    sweep: list[SweepPointOut] = Field(default_factory=list, description="Points on the target (projected).")


class CurvePointOut(_Out):
    """A learning-curve size: students trained on ``n`` teacher labels, one per seed."""

    n: int = Field(description="Teacher-labelled training examples.")
    seeds: int = Field(description="Students trained at this size (one per seed, each on its own subset).")
    quality_mean: float = Field(description="Mean held-out quality (the report's quality metric) over the seeds.")
    quality_sd: float | None = Field(description="Standard deviation over the seeds (ddof 1); None with one seed.")
    agreement_mean: float | None = Field(default=None, description="Mean held-out agreement with the teacher.")


class CurveRunOut(_Out):
    """One trained student of a learning curve."""

    n: int = Field(description="Teacher-labelled training examples (first n of the seed's shuffle of the split).")
    seed: int = Field(description="Seed of the subset and of the training.")
    quality: float = Field(description="Held-out quality.")
    agreement: float | None = Field(default=None, description="Held-out agreement with the teacher.")


class PowerLawOut(_Out):
    """The fitted saturating power law ``quality(n) = asymptote - scale * n ** -exponent``."""

    asymptote: float = Field(description="Quality the curve tends to with unlimited labels.")
    scale: float = Field(description="Distance below the asymptote at n = 1.")
    exponent: float = Field(description="How fast the distance shrinks with n.")
    rmse: float = Field(description="Root-mean-square residual on the runs it was fitted to.")


class BacktestOut(_Out):
    """The learning curve fitted without its largest size, checked at that size."""

    held_out_size: int = Field(description="The largest size, left out of this fit.")
    predicted: float = Field(description="Quality the curve fitted to the smaller sizes predicts there.")
    measured: float = Field(description="Mean quality measured there.")


class LearningCurveOut(_Out):
    """Quality versus teacher labels for a distilled student, and the labels predicted to reach the target."""

    metric: str = Field(description="The quality measured (as dataset.quality_metric).")
    n_eval: int = Field(description="Held-out examples each run is scored on (never training examples).")
    points: list[CurvePointOut] = Field(description="Per size, smallest first.")
    runs: list[CurveRunOut] = Field(description="Every trained student: the points the curve is fitted to.")
    fit: PowerLawOut | None = Field(description="None when the fit failed (see warnings).")
    teacher_quality: float = Field(description="The teacher's quality on the same held-out examples.")
    target: float = Field(description="teacher_quality - constraints.max_gap.")
    predicted_labels_for_target: float | None = Field(
        description="Teacher labels at which the fitted curve reaches the target; None: never (asymptote below it)."
    )
    predicted_labels_ci: tuple[float | None, float | None] | None = Field(
        default=None,
        description="Bootstrap interval (seeds resampled within each size); a None bound: unreachable.",
    )
    confidence: float = Field(description="Level of predicted_labels_ci.")
    extrapolated: bool = Field(description="The prediction lies outside the sizes trained.")
    labels_costed: int = Field(
        description="Teacher labels the one-time labelling cost uses: the prediction rounded up when "
        "reachable, else the training examples this run labelled."
    )
    backtest: BacktestOut | None = Field(
        default=None,
        description="With four or more sizes: the curve fitted without the largest size, against that size's "
        "measured mean quality (how far the curve's shape misses; the CI covers seed noise only).",
    )


class ModelOut(_Out):
    """One model's numbers on the evaluation examples."""

    role: Literal["teacher", "student"]
    backend: str
    quality: float = Field(description="Accuracy against the reference (or agreement with the teacher without one).")
    quality_ci: tuple[float, float]
    agreement_with_teacher: float
    cost_per_call_usd: float | None
    cost_source: str = Field(description="How the per-call cost was obtained; 'projected' figures say so.")
    latency_ms: LatencyOut | None
    throughput_per_s: float | None = Field(
        default=None, description="Measured batched calls per second (local models)."
    )
    unparsed: int = Field(description="Outputs that named no label (scored as wrong).")
    slices: dict[str, float] = Field(default_factory=dict, description="Quality per slice.")
    training: dict[str, object] | None = Field(default=None, description="How a distilled student was trained.")
    cost_basis: Literal["measured", "projected", "recorded", "catalog", "override"] | None = Field(
        default=None,
        description="measured: throughput timed on the target hardware; projected: derived for hardware "
        "not present; recorded: costs in the logs; catalog: tokens x catalogue price; override: the "
        "user's negotiated price.",
    )
    serving: ServingOut | None = Field(default=None, description="Self-hosted serving point and fleet.")
    throughput_sweep: list[SweepPointOut] = Field(
        default_factory=list, description="Measured on this machine: batch size x concurrency."
    )
    cold_start_ms: float | None = Field(default=None, description="First call after the model was built.")
    peak_rss_mb: float | None = Field(default=None, description="Process peak resident memory after it ran.")
    peak_gpu_mb: float | None = Field(default=None, description="Peak GPU memory (None: no GPU).")
    learning_curve: LearningCurveOut | None = Field(
        default=None, description="Distilled students with a learning_curve option: quality versus teacher labels."
    )


class GapOut(_Out):
    """Student minus teacher on the same examples; negative is worse."""

    gap: float
    ci: tuple[float, float]
    non_inferior: bool = Field(
        description="The one-sided test of H0: gap <= -max_gap rejects at level (1 - confidence) / 2: "
        "unadjusted overall (and for a route), Holm-adjusted per slice (then equal to verdict == non_inferior)."
    )
    n: int
    p_value_mcnemar: float | None = Field(
        default=None, description="Two-sided exact McNemar p-value (0/1 outcomes): any difference at all."
    )
    p_value_noninferiority: float | None = Field(
        default=None,
        description="One-sided p-value of H0 gap <= -max_gap (Tango score test for 0/1 outcomes, else paired t-test).",
    )
    p_value_holm: float | None = Field(
        default=None, description="p_value_noninferiority Holm-adjusted across the student's slices."
    )
    verdict: Literal["non_inferior", "inferior", "inconclusive"] | None = Field(
        default=None,
        description="From the Holm-adjusted one-sided tests at level (1 - confidence) / 2: "
        "non_inferior (loss within max_gap), inferior (loss beyond it), or inconclusive.",
    )
    additional_samples_needed: int | None = Field(
        default=None,
        description="Inconclusive only: further examples for 80% power at the observed gap and "
        "discordance (slices planned at the Bonferroni level, so Holm settles them).",
    )
    discordant: tuple[int, int] | None = Field(
        default=None, description="0/1 outcomes: (only the student right, only the teacher right)."
    )


class StudentGapsOut(_Out):
    """A student's gap overall and per slice."""

    overall: GapOut
    slices: dict[str, GapOut]


class RouteOut(_Out):
    """A student-first route checked on held-out examples."""

    threshold: float
    calibration_escalation_rate: float
    test_escalation_rate: float
    test_gap: GapOut
    n_calibration: int
    cost_per_call_usd: float | None
    certified: bool = Field(
        default=True, description="False: no threshold was certified; the route is the teacher alone."
    )
    signal: str | None = Field(
        default=None, description="confidence, agreement:<models> (answers match) or learned (a scorer)."
    )
    tiers: list[str] = Field(default_factory=list, description="Models called, in order; the teacher last.")
    guarantee: GuaranteeOut | None = None
    test_escalation_ci: tuple[float, float] | None = Field(
        default=None, description="Clopper-Pearson interval of the escalation rate on the test split."
    )
    frontier: list[FrontierPointOut] = Field(
        default_factory=list, description="Pareto-optimal thresholds on the test split (cost vs quality)."
    )
    apgr: float | None = Field(
        default=None, description="RouteLLM's average performance gap recovered, on the test split."
    )
    cpt50: float | None = Field(default=None, description="Share of calls to the teacher for 50% of the gap.")
    cpt80: float | None = Field(default=None, description="Share of calls to the teacher for 80% of the gap.")
    aiq: float | None = Field(default=None, description="RouterBench's AIQ of the route's cost-quality curve")


class DatasetOut(_Out):
    """The samples the run used."""

    source: str
    fingerprint: str
    n_samples: int
    n_eval: int
    n_train: int
    slices: dict[str, int] = Field(description="Evaluation examples per slice.")
    quality_metric: Literal[
        "accuracy",
        "agreement_with_teacher",
        "recorded_correctness",
        "exact_match",
        "field_f1",
        "numeric_match",
        "chrf",
        "rouge_l",
        "embedding",
        "judge",
        "exact_match_vs_teacher",
        "field_f1_vs_teacher",
        "numeric_match_vs_teacher",
        "chrf_vs_teacher",
        "rouge_l_vs_teacher",
        "embedding_vs_teacher",
        "judge_vs_teacher",
    ]


class GroupGapOut(_Out):
    """Student and teacher on one group of examples (a length bin, a confidence bin, a class)."""

    name: str
    n: int
    student: float
    teacher: float
    gap: float
    ci: tuple[float, float]


class ErrorTransferOut(_Out):
    """What the student does where the teacher is wrong against the reference."""

    teacher_errors: int
    copied: int = Field(description="Teacher wrong and the student wrong too.")
    copied_same_answer: int | None = Field(
        description="Of the copied errors, the student gave the same answer (None: answers unknown)."
    )
    corrected: int = Field(description="Teacher wrong, student right.")
    new_errors: int = Field(description="Teacher right, student wrong.")
    copy_rate: float | None


class HardCaseExampleOut(_Out):
    """One example listed in the report."""

    id: str
    slice: str
    kind: Literal["lost", "copied", "corrected"]
    input: str
    reference: object = None
    teacher: object = None
    student: object = None


class HardCasesOut(_Out):
    """Where a student loses against the teacher, and which teacher errors it copies."""

    by_input_length: list[GroupGapOut] = Field(description="Gap per input-length quantile (characters).")
    by_teacher_confidence: list[GroupGapOut] = Field(
        default_factory=list, description="Gap per teacher-confidence quantile (when the teacher gives one)."
    )
    by_class_frequency: list[GroupGapOut] = Field(
        default_factory=list, description="Gap per reference class, rarest first (pooled when many)."
    )
    errors: ErrorTransferOut | None = None
    examples: list[HardCaseExampleOut] = Field(default_factory=list)


class PriceSourceOut(_Out):
    """Where one model's per-call cost came from, and how old that figure is."""

    model: str = Field(description="Model name as in the spec.")
    kind: Literal["api_catalog", "instance_catalog", "recorded", "user_override", "unknown"] = Field(
        description="api_catalog / instance_catalog: pricing/*.csv; recorded: costs in the uploaded logs; "
        "user_override: the spec's price."
    )
    key: str | None = Field(default=None, description="Catalogue key: 'provider/model' or 'cloud/instance'.")
    source: str = Field(description="File, URL or description the price was read from.")
    as_of: str | None = Field(default=None, description="Date the price was collected (YYYY-MM-DD).")
    age_days: int | None = Field(default=None, description="Days between as_of and the run.")
    stale: bool | None = Field(default=None, description="age_days above the staleness limit.")


class ModelProvenanceOut(_Out):
    """What exactly was evaluated under a model name."""

    name: str = Field(description="Model name as in the spec.")
    role: Literal["teacher", "student"] = Field(description="teacher or student.")
    backend: str = Field(description="Backend kind: recorded, openai, distill, hf, ...")
    model_id: str | None = Field(default=None, description="Model id sent to an endpoint, base or path.")
    version: str | None = Field(default=None, description="Package or weights version when known.")
    measured_on: str = Field(description="Where its latency was measured (or that it was recorded).")
    projected: str | None = Field(
        default=None, description="What was projected rather than measured (e.g. cost on an instance)."
    )
    lifecycle: str | None = Field(default=None, description="Vendor deprecation/retirement note.")


class ProvenanceOut(_Out):
    """Where every figure in the report came from, for a reviewer to cite."""

    dataset_source: str = Field(description="Path or name the samples were read from.")
    dataset_fingerprint: str = Field(description="sha256 of the samples' canonical content.")
    n_samples: int = Field(description="Rows in the dataset.")
    models: list[ModelProvenanceOut] = Field(description="Every model evaluated, teacher first.")
    hardware_measured: dict[str, object] = Field(description="Machine local models were timed on.")
    projected: list[str] = Field(default_factory=list, description="Figures projected, not measured.")
    prices: list[PriceSourceOut] = Field(default_factory=list, description="One per model: its cost's source.")
    stale_after_days: int = Field(description="Prices older than this are flagged stale.")
    lifecycle_notes: list[str] = Field(
        default_factory=list, description="Vendor deprecation/retirement notes for the models."
    )
    advisor_version: str = Field(description="Version of the advisor that produced the report.")
    python_version: str = Field(description="Python version of the run.")
    generated_at: str = Field(description="When the report was made (ISO 8601, UTC).")
    run_seconds: float = Field(description="Wall-clock seconds the run took.")


class CostOptionOut(_Out):
    """One way to serve the traffic, costed over the horizon."""

    kind: Literal["teacher", "distill", "route"]
    student: str | None = None
    usd_per_call: float = Field(description="Recurring USD per call at the constraint volume.")
    monthly_usd: float = Field(description="Recurring USD per month at the constraint volume.")
    one_time_usd: float = Field(description="Labelling + training + evaluation, paid in month 1.")
    one_time_parts: dict[str, float] = Field(default_factory=dict)
    redistillations: int = Field(default=0, description="Re-distillations inside the horizon.")
    horizon_total_usd: float
    saving_vs_teacher_usd: float = Field(description="Over the horizon; positive saves.")
    break_even_volume_per_month: float | None = Field(
        default=None, description="Monthly calls at which it costs the same as the teacher over the horizon."
    )
    break_even_month: int | None = Field(
        default=None, description="First month its cumulative cost is at or below the teacher's."
    )
    cumulative_usd: list[float] = Field(default_factory=list, description="End of each month.")
    basis: str = Field(description="Bases of the figures it uses (measured/projected/catalog/...).")


class SensitivityOut(_Out):
    """The horizon saving when one input changes."""

    option: str
    parameter: Literal["teacher_price", "volume", "utilisation", "escalation_rate"]
    base: float
    points: list[tuple[float, float]] = Field(description="(input value, horizon saving USD).")
    break_even: float | None = Field(description="Input value at which the saving is zero.")
    flips: bool = Field(description="A tried value changes the saving's sign.")


class PriceAgeOut(_Out):
    """A dated figure the costs rely on."""

    what: str
    source: str
    as_of: str | None
    age_days: int | None
    stale: bool


class CostModelOut(_Out):
    """Costs of every option over the horizon, break-even and sensitivity."""

    monthly_volume: int
    horizon_months: int
    redistill_every_months: int | None
    options: dict[str, CostOptionOut] = Field(description="'teacher', 'distill:<student>', 'route:<student>'.")
    sensitivity: list[SensitivityOut] = Field(default_factory=list)
    prices: list[PriceAgeOut] = Field(default_factory=list)
    max_price_age_days: int
    lifecycle: list[str] = Field(default_factory=list, description="Vendor deprecations within the horizon.")


class Report(_Out):
    """Everything a run found; the contract for report.json."""

    schema_version: str = SCHEMA_VERSION
    advisor_version: str
    generated_at: str
    run_seconds: float
    task: dict[str, object]
    constraints: dict[str, object]
    dataset: DatasetOut
    verdict: VerdictOut
    models: dict[str, ModelOut]
    gaps: dict[str, StudentGapsOut]
    routes: dict[str, RouteOut] = Field(default_factory=dict)
    costs: dict[str, object] = Field(default_factory=dict, description="Monthly costs at the constraint volume.")
    hardware: dict[str, object] = Field(default_factory=dict, description="Machine local models were measured on.")
    warnings: list[str] = Field(default_factory=list)
    cost_model: CostModelOut | None = Field(
        default=None, description="Costs over the horizon, break-even volume and month, sensitivity."
    )
    provenance: ProvenanceOut | None = Field(
        default=None, description="Where every figure came from (dataset, models, hardware, prices)."
    )
    analysis: dict[str, HardCasesOut] = Field(default_factory=dict, description="Hard-case analysis per student.")

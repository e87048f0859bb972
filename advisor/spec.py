"""The run spec: one model for ``advisor run SPEC.yaml`` and the HTTP API body."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import SpecError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskSpec(_Strict):
    """What kind of task the samples are, and the metric that scores an answer."""

    type: Literal["classification", "extraction", "short_answer", "generation"] = "classification"
    labels: list[str] | None = Field(
        default=None,
        description="Classification: allowed labels; inferred from references and the teacher when omitted.",
    )
    label_parsing: Literal["exact", "first_label"] = Field(
        default="exact",
        description=(
            "Classification: how an output text becomes a label: 'exact' (whole text equals a label, "
            "ignoring case and surrounding space) or 'first_label' (the text starts with a label)."
        ),
    )
    metric: str | None = Field(
        default=None,
        description=(
            "Per-example score. classification: accuracy; extraction: exact_match (default) or field_f1 "
            "(JSON / slot outputs); short_answer: exact_match (default, normalised) or numeric_match; "
            "generation: chrf (default), rouge_l, embedding (MiniLM cosine) or judge (an LLM with a "
            "rubric). Scored against the reference, or against the teacher's output when there is none."
        ),
    )
    judge: ModelSpec | None = Field(default=None, description="The model that grades answers (metric: judge).")
    rubric: str | None = Field(default=None, description="What the judge grades on (metric: judge).")
    judge_scale: int = Field(default=5, ge=2, le=100, description="The judge scores 1..judge_scale.")

    @model_validator(mode="after")
    def _metric_fits_type(self) -> TaskSpec:
        from .quality.scoring import METRICS

        allowed = METRICS[self.type]
        if self.metric is None:
            self.metric = allowed[0]
        elif self.metric not in allowed:
            raise ValueError(f"metric '{self.metric}' does not apply to {self.type}; choose one of {list(allowed)}")
        if self.type != "classification" and self.labels:
            raise ValueError("labels apply to classification tasks only")
        if (self.metric == "judge") != (self.judge is not None):
            raise ValueError("metric 'judge' and a judge model go together: set both or neither")
        return self


class SamplesSpec(_Strict):
    """Where the samples are and how their columns map to the canonical fields."""

    path: str
    mapping: dict[str, str] = Field(default_factory=dict)
    format: Literal["jsonl", "csv", "parquet"] | None = None
    limit: int | None = Field(default=None, ge=1, description="Use only the first N samples.")


class PriceSpec(_Strict):
    """How a model's per-call price is known. Fields left unset fall back to the next source."""

    catalog: str | None = Field(
        default=None, description="'provider/model' in pricing/api_prices.csv, e.g. openai/gpt-4o."
    )
    usd_per_mtok_input: float | None = Field(default=None, ge=0)
    usd_per_mtok_output: float | None = Field(default=None, ge=0)
    usd_per_call: float | None = Field(default=None, ge=0, description="A flat negotiated price.")
    usd_per_hour: float | None = Field(
        default=None, ge=0, description="Self-hosted: negotiated $/hour of the instance (over the catalogue)."
    )
    batch: bool = Field(default=False, description="Bill at the provider's batch-API prices.")
    cached_input_share: float = Field(
        default=0.0, ge=0, le=1, description="Share of input tokens served from the provider's prompt cache."
    )


class LearningCurveSpec(_Strict):
    """Train a distilled student on nested subsets of its training split to predict its label budget."""

    sizes: list[int] | None = Field(
        default=None,
        description="Numbers of teacher labels to train on, at least three distinct (default: 1/8, 1/4, "
        "1/2 and all of the teacher-labelled training examples).",
    )
    seeds: list[int] = Field(
        default_factory=lambda: [0, 1, 2],
        min_length=1,
        description="Repetitions per size: each seed draws its own nested subsets and seeds the training.",
    )
    n_boot: int = Field(default=200, ge=20, description="Bootstrap refits for the label budget's interval.")
    confidence: float = Field(default=0.9, gt=0, lt=1, description="Level of the label budget's interval.")

    @model_validator(mode="after")
    def _enough_sizes(self) -> LearningCurveSpec:
        if self.sizes is not None:
            if any(n < 1 for n in self.sizes):
                raise ValueError("learning_curve.sizes must be >= 1")
            if len(set(self.sizes)) < 3:
                raise ValueError("learning_curve.sizes needs at least three distinct sizes to fit a curve")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError("learning_curve.seeds must be distinct")
        return self


class ModelSpec(_Strict):
    """A teacher or student: a named backend with its options."""

    name: str = Field(min_length=1)
    backend: str = "recorded"
    price: PriceSpec | None = None
    hardware: str | None = Field(
        default=None,
        description="Instance a self-hosted model is priced on: 'cloud/instance' in pricing/instances.csv.",
    )
    base: str | None = Field(default=None, description="Base model of a distilled student (e.g. minilm).")
    url: str | None = Field(default=None, description="Base URL of an HTTP endpoint.")
    model: str | None = Field(default=None, description="Model id sent to an HTTP endpoint.")
    api_key_env: str | None = Field(default=None, description="Environment variable holding the API key.")
    path: str | None = Field(default=None, description="Local checkpoint folder.")
    api_key_ref: str | None = Field(
        default=None, description="Secret reference for the API key: 'env:NAME' or 'file:PATH'."
    )
    max_concurrency: int = Field(default=8, ge=1, description="Calls in flight at once.")
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    timeout_s: float = Field(default=120.0, gt=0, description="Per-call timeout.")
    max_retries: int = Field(default=4, ge=0, description="Retries of a transient failure.")
    options: dict[str, Any] = Field(default_factory=dict)
    hardware_is_local: bool = Field(
        default=False,
        description="This machine is the 'hardware' instance: its throughput is measured, not projected.",
    )
    training_hours: float | None = Field(
        default=None, ge=0, description="Hours to train at production scale (default: as measured here)."
    )
    learning_curve: LearningCurveSpec | None = Field(
        default=None,
        description="Distilled students: measure quality versus number of teacher labels on the held-out "
        "examples, fit a saturating power law and cost the teacher labelling at the predicted number of "
        "labels that reaches the teacher's quality minus constraints.max_gap.",
    )


class Constraints(_Strict):
    """What the user will accept from a student or a route."""

    max_gap: float = Field(default=0.02, ge=0, le=1, description="Largest acceptable quality loss.")
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    p95_latency_ms: float | None = Field(default=None, gt=0)
    monthly_volume: int = Field(default=1_000_000, ge=1)
    horizon_months: int = Field(default=12, ge=1)
    budget_usd_per_month: float | None = Field(default=None, ge=0)
    peak_to_average: float = Field(
        default=2.0,
        ge=1,
        description="Peak over average request rate; self-hosted replicas are sized for the peak.",
    )
    min_replicas: int = Field(default=1, ge=0, description="Self-hosted replicas kept up whatever the load.")
    utilisation: float = Field(
        default=0.7, gt=0, le=1, description="Share of a replica's SLO throughput it is planned to run at."
    )
    redistill_every_months: int | None = Field(
        default=None, ge=1, description="Re-distil (label, train, evaluate again) every N months."
    )
    delta: float = Field(
        default=0.1,
        gt=0,
        lt=1,
        description="A route's threshold keeps the loss versus the teacher within max_gap on new traffic "
        "with probability >= 1 - delta.",
    )
    max_slice_gap: float | None = Field(
        default=None, ge=0, le=1, description="Largest acceptable loss on any slice (None: listed as risks)."
    )


class RoutingSpec(_Strict):
    """How routes (student first, teacher on escalation) get their confidence signal."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    signal: Literal["auto", "confidence", "agreement", "learned"] = Field(
        default="auto",
        description="auto: the student's confidence when it reports one, else a learned scorer; "
        "agreement: the student's answer equals those of the 'with' models (they are called too); "
        "learned: a scorer trained on a third of the examples predicts that the student matches the teacher.",
    )
    with_: list[str] = Field(
        default_factory=list,
        alias="with",
        description="Students whose answers the student must agree with (signal: agreement).",
    )


class PricingSpec(_Strict):
    """Which price catalogue a run uses and how old its figures may be."""

    overrides: str | None = Field(
        default=None, description="YAML of negotiated prices (see pricing/overrides.example.yaml)."
    )
    max_age_days: int = Field(default=90, ge=1, description="Older catalogue figures raise a staleness warning.")


class SplitSpec(_Strict):
    """The split between examples used to train students and examples used to evaluate."""

    train_fraction: float = Field(default=0.3, gt=0, lt=1)
    seed: int = 0


class RunSpec(_Strict):
    """Everything one run needs."""

    task: TaskSpec = Field(default_factory=TaskSpec)
    samples: SamplesSpec
    teacher: ModelSpec
    students: list[ModelSpec] = Field(min_length=1)
    constraints: Constraints = Field(default_factory=Constraints)
    split: SplitSpec = Field(default_factory=SplitSpec)
    routing: RoutingSpec = Field(default_factory=RoutingSpec)
    seed: int = 0
    n_bootstrap: int = Field(default=2000, ge=100)
    cache_dir: str | None = Field(
        default=None, description="Folder of the response cache; a re-run never pays for a call twice."
    )
    pricing: PricingSpec = Field(default_factory=PricingSpec)
    max_cost_usd: float | None = Field(
        default=None, ge=0, description="Stop the run before API calls cost more than this."
    )

    @model_validator(mode="after")
    def _unique_names(self) -> RunSpec:
        names = [self.teacher.name, *(s.name for s in self.students)]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"model names must be unique; repeated: {', '.join(dupes)}")
        unknown = sorted(set(self.routing.with_) - {s.name for s in self.students})
        if unknown:
            raise ValueError(f"routing.with names models that are not students: {', '.join(unknown)}")
        if self.routing.signal == "agreement" and not self.routing.with_:
            raise ValueError("routing.signal 'agreement' needs routing.with: [student, ...] to agree with")
        return self

    @model_validator(mode="after")
    def _learning_curves_on_distilled_students(self) -> RunSpec:
        if self.teacher.learning_curve is not None:
            raise ValueError("learning_curve applies to distilled students, not the teacher")
        for s in self.students:
            if s.learning_curve is None:
                continue
            if s.backend != "distill":
                raise ValueError(f"student '{s.name}': learning_curve needs backend 'distill' (a student trained here)")
            if self.task.metric == "judge":
                raise ValueError(f"student '{s.name}': learning_curve does not support metric 'judge'")
        return self

    def resolve_paths(self, base: Path) -> RunSpec:
        """A copy with relative file paths made absolute against ``base``."""
        data = self.model_copy(deep=True)
        data.samples.path = str((base / data.samples.path).resolve())
        if data.cache_dir and not Path(data.cache_dir).is_absolute():
            data.cache_dir = str((base / data.cache_dir).resolve())
        if data.pricing.overrides and not Path(data.pricing.overrides).is_absolute():
            data.pricing.overrides = str((base / data.pricing.overrides).resolve())
        for m in [data.teacher, *data.students]:
            if m.path and not Path(m.path).is_absolute():
                m.path = str((base / m.path).resolve())
        return data


def parse_spec(data: Any, *, base: Path | None = None) -> RunSpec:
    """Validate a spec given as a dict; errors name the field path.

    Raises:
        SpecError: listing each invalid field and why.

    """
    try:
        spec = RunSpec.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '<spec>'}: {err['msg']}" for err in e.errors())
        raise SpecError(f"invalid run spec: {problems}") from None
    return spec.resolve_paths(base) if base is not None else spec


def load_spec(path: str | Path) -> RunSpec:
    """Read a YAML (or JSON) run spec; relative paths resolve against its folder."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"spec file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as e:
        raise SpecError(f"{p}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{p}: a run spec is a mapping with task, samples, teacher, students")
    return parse_spec(data, base=p.parent.resolve())

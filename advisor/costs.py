"""The cost model (pure: values in, values out).

Per call: an API model costs its tokens times the dated catalogue price (cached-input and
batch prices included); a self-hosted model costs the replicas it needs for peak load, each
an instance billed by the hour, divided by the calls it serves. A route pays the student on
every call and the teacher on the escalated share. Distilling has a one-time cost (teacher
labelling, training, evaluation) that recurs at each re-distillation. From these: monthly
totals over a horizon, the break-even volume and month, and the sensitivity of the saving to
price, volume, utilisation and escalation rate.

Conventions: a month is :data:`HOURS_PER_MONTH` hours (the cloud billing convention), volume
is calls per month, and every amount is USD.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

HOURS_PER_MONTH = 730.0
"""Hours in a billing month (365 x 24 / 12), as the clouds bill."""
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0


@dataclass(frozen=True)
class TokenPrice:
    """API list price in USD per million tokens."""

    usd_per_mtok_input: float
    usd_per_mtok_output: float
    source: str = "user"
    """Where the price came from: 'catalog:<provider>/<model> (<date>)' or 'user override'."""
    usd_per_mtok_cached_input: float | None = None
    """Price of input tokens served from the provider's prompt cache (None: not offered)."""
    usd_per_mtok_batch_input: float | None = None
    """Input price through the provider's batch API (None: not offered)."""
    usd_per_mtok_batch_output: float | None = None
    """Output price through the provider's batch API (None: not offered)."""


def api_cost_per_call(
    input_tokens: float,
    output_tokens: float,
    price: TokenPrice,
    *,
    cached_input_tokens: float = 0.0,
    batch: bool = False,
) -> float:
    """USD for one call: tokens x price per million tokens.

    Args:
        input_tokens: all input tokens of the call, cached ones included.
        output_tokens: generated tokens.
        price: the model's prices.
        cached_input_tokens: how many of ``input_tokens`` hit the prompt cache; billed at the
            cached-input price (at the full input price when the model has none).
        batch: bill at the batch-API prices (an error when the model has none).

    Raises:
        ValueError: negative tokens, more cached than input tokens, or batch without batch prices.

    """
    if input_tokens < 0 or output_tokens < 0 or cached_input_tokens < 0:
        raise ValueError("token counts must be >= 0")
    if cached_input_tokens > input_tokens:
        raise ValueError("cached_input_tokens cannot exceed input_tokens")
    if batch:
        if price.usd_per_mtok_batch_input is None or price.usd_per_mtok_batch_output is None:
            raise ValueError(f"no batch prices for {price.source}; set batch=False or give them")
        p_in, p_out = price.usd_per_mtok_batch_input, price.usd_per_mtok_batch_output
    else:
        p_in, p_out = price.usd_per_mtok_input, price.usd_per_mtok_output
    p_cached = price.usd_per_mtok_cached_input if price.usd_per_mtok_cached_input is not None else p_in
    fresh = input_tokens - cached_input_tokens
    return (fresh * p_in + cached_input_tokens * p_cached + output_tokens * p_out) / 1e6


def self_hosted_cost_per_call(usd_per_hour: float, calls_per_second: float, utilisation: float = 1.0) -> float:
    """USD for one call on an instance that serves ``calls_per_second`` x ``utilisation``.

    Raises:
        ValueError: when the throughput is not positive or utilisation is outside (0, 1].

    """
    if calls_per_second <= 0:
        raise ValueError("throughput must be positive")
    if not 0.0 < utilisation <= 1.0:
        raise ValueError("utilisation must be in (0, 1]")
    return usd_per_hour / (3600.0 * calls_per_second * utilisation)


@dataclass(frozen=True)
class SelfHosting:
    """How a self-hosted model is served: instance price, measured capacity and the fleet policy."""

    usd_per_hour: float
    """On-demand (or overridden) price of one replica's instance."""
    calls_per_second: float
    """Largest throughput of one replica that still meets the p95 latency SLO."""
    peak_to_average: float = 2.0
    """Peak request rate over the monthly average rate; replicas are sized for the peak."""
    min_replicas: int = 1
    """Replicas kept up whatever the load (availability)."""
    utilisation: float = 0.7
    """Share of ``calls_per_second`` a replica is planned to run at (headroom for bursts)."""

    def __post_init__(self) -> None:
        if self.usd_per_hour < 0:
            raise ValueError("usd_per_hour must be >= 0")
        if self.calls_per_second <= 0:
            raise ValueError("calls_per_second must be positive")
        if self.peak_to_average < 1.0:
            raise ValueError("peak_to_average must be >= 1")
        if self.min_replicas < 0:
            raise ValueError("min_replicas must be >= 0")
        if not 0.0 < self.utilisation <= 1.0:
            raise ValueError("utilisation must be in (0, 1]")

    @property
    def calls_per_replica_month(self) -> float:
        """Monthly volume one replica carries when the peak is sized at planned utilisation."""
        return self.calls_per_second * self.utilisation * SECONDS_PER_MONTH / self.peak_to_average

    @property
    def usd_per_replica_month(self) -> float:
        """What one replica costs per month."""
        return self.usd_per_hour * HOURS_PER_MONTH


def replicas_needed(hosting: SelfHosting, monthly_volume: float) -> int:
    """Replicas for the peak rate of ``monthly_volume``, at least ``min_replicas``."""
    if monthly_volume < 0:
        raise ValueError("monthly_volume must be >= 0")
    need = math.ceil(monthly_volume / hosting.calls_per_replica_month - 1e-12) if monthly_volume > 0 else 0
    return max(hosting.min_replicas, need)


@dataclass(frozen=True)
class FleetCost:
    """A self-hosted model's fleet at one monthly volume."""

    replicas: int
    monthly_usd: float
    usd_per_call: float
    """Monthly fleet cost over the calls served (idle capacity included)."""
    average_utilisation: float
    """Mean busy share of the fleet's measured capacity."""


def fleet_cost(hosting: SelfHosting, monthly_volume: float) -> FleetCost:
    """Replicas, monthly cost and per-call cost of serving ``monthly_volume`` calls a month.

    Raises:
        ValueError: when the volume is not positive.

    """
    if monthly_volume <= 0:
        raise ValueError("monthly_volume must be positive")
    n = replicas_needed(hosting, monthly_volume)
    monthly = n * hosting.usd_per_replica_month
    capacity = n * hosting.calls_per_second * SECONDS_PER_MONTH
    return FleetCost(n, monthly, monthly / monthly_volume, monthly_volume / capacity if capacity else math.inf)


def route_cost_per_call(student_usd: float, teacher_usd: float, escalation_rate: float) -> float:
    """Student on every call plus the teacher on the escalated share."""
    if not 0.0 <= escalation_rate <= 1.0:
        raise ValueError("escalation_rate must be in [0, 1]")
    return student_usd + escalation_rate * teacher_usd


def monthly_cost(usd_per_call: float, monthly_volume: int) -> float:
    """USD per month at ``monthly_volume`` calls."""
    return usd_per_call * monthly_volume


@dataclass(frozen=True)
class OneTimeCost:
    """What adopting a student costs once (and again at each re-distillation)."""

    labelling_usd: float
    training_usd: float
    evaluation_usd: float

    @property
    def total_usd(self) -> float:
        """Sum of the three parts."""
        return self.labelling_usd + self.training_usd + self.evaluation_usd


def distillation_cost(
    *,
    labelling_calls: int,
    teacher_usd_per_call: float,
    training_hours: float,
    training_usd_per_hour: float,
    evaluation_calls: int,
    evaluation_usd_per_call: float | None = None,
) -> OneTimeCost:
    """One-time cost of distilling a student.

    Args:
        labelling_calls: teacher calls to label the training examples.
        teacher_usd_per_call: the teacher's USD per call.
        training_hours: hours of the training instance.
        training_usd_per_hour: that instance's price.
        evaluation_calls: calls to evaluate the student against the teacher.
        evaluation_usd_per_call: USD per evaluation call (default: the teacher's, which must
            answer every evaluation example).

    Raises:
        ValueError: when a count, price or duration is negative.

    """
    if min(labelling_calls, teacher_usd_per_call, training_hours, training_usd_per_hour, evaluation_calls) < 0:
        raise ValueError("counts, prices and hours must be >= 0")
    per_eval = teacher_usd_per_call if evaluation_usd_per_call is None else evaluation_usd_per_call
    return OneTimeCost(
        labelling_calls * teacher_usd_per_call,
        training_hours * training_usd_per_hour,
        evaluation_calls * per_eval,
    )


@dataclass(frozen=True)
class OptionCost:
    """An alternative to the teacher (a student alone or a route) as the cost model sees it."""

    api_usd_per_call: float = 0.0
    """USD per call paid to APIs: an API student's price, or a route's escalation x teacher price."""
    hosting: SelfHosting | None = None
    """How the self-hosted part is served (None: nothing self-hosted)."""
    one_time_usd: float = 0.0
    """Paid in month 1 (labelling, training, evaluation)."""
    redistill_usd: float = 0.0
    """Paid again at each re-distillation."""
    redistill_every_months: int | None = None
    """Re-distil every N months (None: never)."""


def option_monthly_usd(option: OptionCost, monthly_volume: float) -> float:
    """Recurring monthly cost of ``option`` at ``monthly_volume`` calls (one-time costs excluded)."""
    fleet = fleet_cost(option.hosting, monthly_volume).monthly_usd if option.hosting is not None else 0.0
    return option.api_usd_per_call * monthly_volume + fleet


def option_usd_per_call(option: OptionCost, monthly_volume: float) -> float:
    """Mean recurring USD per call of ``option`` at ``monthly_volume``."""
    return option_monthly_usd(option, monthly_volume) / monthly_volume


def redistillations(horizon_months: int, every_months: int | None) -> int:
    """How many re-distillations fall inside the horizon (at months N+1, 2N+1, ...)."""
    if every_months is None or every_months <= 0:
        return 0
    return (horizon_months - 1) // every_months


def one_time_over_horizon(option: OptionCost, horizon_months: int) -> float:
    """One-time cost plus every re-distillation inside the horizon."""
    return option.one_time_usd + option.redistill_usd * redistillations(horizon_months, option.redistill_every_months)


def monthly_totals(
    teacher_usd_per_call: float, option: OptionCost, monthly_volume: float, horizon_months: int
) -> tuple[list[float], list[float]]:
    """Cumulative USD at the end of each month for (teacher alone, option).

    The option pays its one-time cost in month 1 and its re-distillation cost at the start of
    months N+1, 2N+1, ... (N = ``redistill_every_months``).
    """
    if horizon_months < 1:
        raise ValueError("horizon_months must be >= 1")
    t_month = teacher_usd_per_call * monthly_volume
    o_month = option_monthly_usd(option, monthly_volume)
    every = option.redistill_every_months
    teacher: list[float] = []
    alt: list[float] = []
    t_sum = o_sum = 0.0
    for m in range(1, horizon_months + 1):
        t_sum += t_month
        o_sum += o_month
        if m == 1:
            o_sum += option.one_time_usd
        elif every and (m - 1) % every == 0:
            o_sum += option.redistill_usd
        teacher.append(t_sum)
        alt.append(o_sum)
    return teacher, alt


def horizon_saving(
    teacher_usd_per_call: float, option: OptionCost, monthly_volume: float, horizon_months: int
) -> float:
    """Teacher's total over the horizon minus the option's (positive: the option saves)."""
    teacher, alt = monthly_totals(teacher_usd_per_call, option, monthly_volume, horizon_months)
    return teacher[-1] - alt[-1]


def break_even_month(
    teacher_usd_per_call: float, option: OptionCost, monthly_volume: float, horizon_months: int
) -> int | None:
    """First month whose cumulative option cost is at or below the teacher's; None within the horizon."""
    teacher, alt = monthly_totals(teacher_usd_per_call, option, monthly_volume, horizon_months)
    for m, (t, o) in enumerate(zip(teacher, alt, strict=True), start=1):
        if o <= t:
            return m
    return None


def break_even_volume(teacher_usd_per_call: float, option: OptionCost, horizon_months: int) -> float | None:
    """Smallest monthly volume at which the option costs no more than the teacher over the horizon.

    With a self-hosted part the fleet grows a replica at a time, so the option's cost is a
    step function of volume; the answer is exact for it (not a linearisation). None when no
    volume breaks even (the teacher's price does not cover the option's marginal cost).
    """
    h = float(horizon_months)
    one_time = one_time_over_horizon(option, horizon_months)
    margin = (teacher_usd_per_call - option.api_usd_per_call) * h  # saving per monthly call over horizon
    if option.hosting is None:
        if one_time <= 0:
            return 0.0
        return one_time / margin if margin > 0 else None
    hs = option.hosting
    per_replica = hs.usd_per_replica_month * h
    capacity = hs.calls_per_replica_month
    # r replicas serve volumes up to r x capacity; there the saving is margin*V - r*per_replica - one_time.
    slope = margin * capacity - per_replica
    if slope <= 0:
        return None
    first = max(hs.min_replicas, 1)
    # The first step r whose top volume breaks even: r x slope >= one_time; below it none does.
    r = max(first, math.ceil(max(one_time, 0.0) / slope - 1e-9))
    while (r * per_replica + one_time) / margin > r * capacity * (1 + 1e-12):  # float guard
        r += 1
    lower_edge = (r - 1) * capacity if r > first else 0.0
    return max((r * per_replica + one_time) / margin, lower_edge)


@dataclass(frozen=True)
class SensitivityRow:
    """How the horizon saving moves when one input changes."""

    parameter: str
    """``teacher_price``, ``volume``, ``utilisation`` or ``escalation_rate``."""
    base: float
    """The input's value in the run."""
    points: tuple[tuple[float, float], ...]
    """(input value, horizon saving in USD) at each tried value."""
    break_even: float | None
    """The input's value at which the saving is zero (None: no crossing in the searched range)."""
    flips: bool
    """True when a tried value turns the saving's sign (and so the cost verdict)."""


def _crossing(f_lo: float, f_hi: float, lo: float, hi: float, f: _Fn) -> float | None:
    if f_lo == 0:
        return lo
    if (f_lo > 0) == (f_hi > 0):
        return None
    for _ in range(100):
        mid = (lo + hi) / 2
        fm = f(mid)
        if (fm > 0) == (f_lo > 0):
            lo, f_lo = mid, fm
        else:
            hi = mid
    return (lo + hi) / 2


class _Fn:
    """A saving as a function of one input (kept as a small class so mypy sees its type)."""

    def __init__(self, kind: str, teacher: float, option: OptionCost, volume: float, horizon: int, esc: float) -> None:
        self.kind, self.teacher, self.option, self.volume = kind, teacher, option, volume
        self.horizon, self.esc = horizon, esc

    def __call__(self, x: float) -> float:
        t, o, v = self.teacher, self.option, self.volume
        if self.kind == "teacher_price":
            # A route's API part is the escalated share of the teacher's price: it moves with it.
            if self.esc > 0:
                o = replace(o, api_usd_per_call=o.api_usd_per_call + self.esc * (x - t))
            t = x
        elif self.kind == "volume":
            v = x
        elif self.kind == "utilisation":
            assert o.hosting is not None
            o = replace(o, hosting=replace(o.hosting, utilisation=x))
        else:  # escalation_rate
            o = replace(o, api_usd_per_call=o.api_usd_per_call + (x - self.esc) * t)
        return horizon_saving(t, o, v, self.horizon)


def sensitivity(
    teacher_usd_per_call: float,
    option: OptionCost,
    monthly_volume: float,
    horizon_months: int,
    *,
    escalation_rate: float | None = None,
    factors: Sequence[float] = (0.5, 0.8, 1.25, 2.0),
) -> list[SensitivityRow]:
    """The horizon saving versus the teacher when each input is scaled by ``factors``.

    Inputs: the teacher's price per call, the monthly volume, the planned utilisation of
    self-hosted replicas (when there are any) and, for a route, the escalation rate (its API
    part is ``escalation_rate`` x teacher price). For each, the value at which the saving
    crosses zero is found by bisection within [min, max] of the tried values and the base.

    Args:
        teacher_usd_per_call: the teacher's USD per call.
        option: the alternative (student alone or route).
        monthly_volume: calls per month.
        horizon_months: months compared.
        escalation_rate: the route's escalation rate (None: not a route).
        factors: multipliers of each input's base value.
    """
    rows: list[SensitivityRow] = []
    params: list[tuple[str, float, float, float]] = [
        ("teacher_price", teacher_usd_per_call, 0.0, math.inf),
        ("volume", float(monthly_volume), 1.0, math.inf),
    ]
    if option.hosting is not None:
        params.append(("utilisation", option.hosting.utilisation, 1e-3, 1.0))
    if escalation_rate is not None:
        params.append(("escalation_rate", escalation_rate, 0.0, 1.0))
    base_saving = horizon_saving(teacher_usd_per_call, option, monthly_volume, horizon_months)
    for name, base, lo_bound, hi_bound in params:
        f = _Fn(name, teacher_usd_per_call, option, monthly_volume, horizon_months, escalation_rate or 0.0)
        values = sorted({min(max(base * k, lo_bound), hi_bound) for k in factors} | {base})
        if name == "escalation_rate":
            values = sorted(set(values) | {0.0, 1.0})
        points = tuple((x, f(x)) for x in values)
        crossing = None
        for (x0, s0), (x1, s1) in zip(points, points[1:], strict=False):
            crossing = _crossing(s0, s1, x0, x1, f)
            if crossing is not None:
                break
        flips = any((s > 0) != (base_saving > 0) for _, s in points)
        rows.append(SensitivityRow(name, base, points, crossing, flips))
    return rows


@dataclass(frozen=True)
class OptionSummary:
    """An option's costs over the horizon against the teacher alone."""

    usd_per_call: float
    """Recurring USD per call at the volume."""
    monthly_usd: float
    horizon_total_usd: float
    """Recurring costs over the horizon plus one-time and re-distillation costs."""
    saving_usd: float
    """Teacher's horizon total minus the option's (positive: the option saves)."""
    break_even_volume: float | None
    break_even_month: int | None
    cumulative_usd: tuple[float, ...]
    redistillations: int


def summarize_option(
    teacher_usd_per_call: float, option: OptionCost, monthly_volume: float, horizon_months: int
) -> OptionSummary:
    """Everything the report says about one option's cost, at one volume and horizon."""
    teacher, alt = monthly_totals(teacher_usd_per_call, option, monthly_volume, horizon_months)
    return OptionSummary(
        option_usd_per_call(option, monthly_volume),
        option_monthly_usd(option, monthly_volume),
        alt[-1],
        teacher[-1] - alt[-1],
        break_even_volume(teacher_usd_per_call, option, horizon_months),
        break_even_month(teacher_usd_per_call, option, monthly_volume, horizon_months),
        tuple(alt),
        redistillations(horizon_months, option.redistill_every_months),
    )

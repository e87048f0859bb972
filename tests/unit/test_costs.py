"""The cost model against figures worked by hand (each test spells out its arithmetic)."""

from __future__ import annotations

import math

import pytest

from advisor.costs import (
    HOURS_PER_MONTH,
    OptionCost,
    SelfHosting,
    TokenPrice,
    api_cost_per_call,
    break_even_month,
    break_even_volume,
    distillation_cost,
    fleet_cost,
    horizon_saving,
    monthly_totals,
    option_usd_per_call,
    redistillations,
    replicas_needed,
    route_cost_per_call,
    self_hosted_cost_per_call,
    sensitivity,
    summarize_option,
)

GPT4O = TokenPrice(
    2.5,
    10.0,
    "test",
    usd_per_mtok_cached_input=1.25,
    usd_per_mtok_batch_input=1.25,
    usd_per_mtok_batch_output=5.0,
)


def test_api_cost_plain_cached_and_batch() -> None:
    # (1000 * 2.5 + 200 * 10) / 1e6 = 0.0045
    assert api_cost_per_call(1000, 200, GPT4O) == pytest.approx(0.0045)
    # 600 fresh * 2.5 + 400 cached * 1.25 + 200 * 10 = 1500 + 500 + 2000 = 4000 -> 0.004
    assert api_cost_per_call(1000, 200, GPT4O, cached_input_tokens=400) == pytest.approx(0.004)
    # batch: 1000 * 1.25 + 200 * 5 = 2250 -> 0.00225
    assert api_cost_per_call(1000, 200, GPT4O, batch=True) == pytest.approx(0.00225)
    # no cached price: cached tokens bill at the input price
    plain = TokenPrice(1.0, 2.0)
    assert api_cost_per_call(100, 10, plain, cached_input_tokens=50) == pytest.approx((100 * 1 + 10 * 2) / 1e6)


def test_api_cost_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="batch"):
        api_cost_per_call(10, 10, TokenPrice(1.0, 2.0), batch=True)
    with pytest.raises(ValueError, match="exceed"):
        api_cost_per_call(10, 10, GPT4O, cached_input_tokens=11)
    with pytest.raises(ValueError):
        api_cost_per_call(-1, 10, GPT4O)


def test_self_hosted_cost_per_call_at_full_and_partial_load() -> None:
    # $0.1008/h over 10 calls/s * 3600 s = 36000 calls/h -> 2.8e-6
    assert self_hosted_cost_per_call(0.1008, 10.0) == pytest.approx(2.8e-6)
    # at 50% utilisation it serves half the calls: 5.6e-6
    assert self_hosted_cost_per_call(0.1008, 10.0, 0.5) == pytest.approx(5.6e-6)
    with pytest.raises(ValueError):
        self_hosted_cost_per_call(1.0, 0.0)


HOSTING = SelfHosting(usd_per_hour=1.0, calls_per_second=10.0, peak_to_average=2.0, min_replicas=1, utilisation=0.5)


def test_replicas_for_peak_load_and_minimum() -> None:
    # one replica carries 10 calls/s * 0.5 * 730 h * 3600 s / 2 (peak) = 6,570,000 calls/month
    assert HOSTING.calls_per_replica_month == pytest.approx(6_570_000)
    assert replicas_needed(HOSTING, 1_000_000) == 1
    assert replicas_needed(HOSTING, 6_570_000) == 1
    assert replicas_needed(HOSTING, 6_570_001) == 2
    assert replicas_needed(HOSTING, 10_000_000) == 2
    three = SelfHosting(1.0, 10.0, peak_to_average=2.0, min_replicas=3, utilisation=0.5)
    assert replicas_needed(three, 1_000_000) == 3


def test_fleet_cost_per_call_includes_idle_capacity() -> None:
    # 1 replica * $1/h * 730 h = $730/month over 1M calls = $0.00073/call
    f = fleet_cost(HOSTING, 1_000_000)
    assert (f.replicas, f.monthly_usd) == (1, pytest.approx(730.0))
    assert f.usd_per_call == pytest.approx(0.00073)
    # busy share: 1M / (10 calls/s * 2,628,000 s) = 0.038052
    assert f.average_utilisation == pytest.approx(1_000_000 / (10 * 730 * 3600))
    # 10M calls: 2 replicas, $1460, $0.000146/call
    f10 = fleet_cost(HOSTING, 10_000_000)
    assert (f10.replicas, f10.monthly_usd, f10.usd_per_call) == (
        2,
        pytest.approx(1460.0),
        pytest.approx(0.000146),
    )


def test_route_cost() -> None:
    # 0.0001 + 0.25 * 0.002 = 0.0006
    assert route_cost_per_call(0.0001, 0.002, 0.25) == pytest.approx(0.0006)
    with pytest.raises(ValueError):
        route_cost_per_call(0.0001, 0.002, 1.5)


def test_distillation_cost() -> None:
    # labelling 1000 * $0.002 = 2; training 0.5 h * $1.2 = 0.6; evaluation 500 * $0.002 = 1; total 3.6
    c = distillation_cost(
        labelling_calls=1000,
        teacher_usd_per_call=0.002,
        training_hours=0.5,
        training_usd_per_hour=1.2,
        evaluation_calls=500,
    )
    assert (c.labelling_usd, c.training_usd, c.evaluation_usd) == (
        pytest.approx(2.0),
        pytest.approx(0.6),
        pytest.approx(1.0),
    )
    assert c.total_usd == pytest.approx(3.6)


API_OPTION = OptionCost(api_usd_per_call=0.0005, one_time_usd=400.0, redistill_usd=100.0, redistill_every_months=3)


def test_monthly_totals_with_redistillation() -> None:
    # teacher: $0.002 * 100k = $200/month; option: $50/month + 400 in month 1 + 100 at months 4 and 7
    teacher, option = monthly_totals(0.002, API_OPTION, 100_000, 7)
    assert teacher == pytest.approx([200, 400, 600, 800, 1000, 1200, 1400])
    assert option == pytest.approx([450, 500, 550, 700, 750, 800, 950])
    assert redistillations(7, 3) == 2
    assert redistillations(12, None) == 0
    assert horizon_saving(0.002, API_OPTION, 100_000, 7) == pytest.approx(450)
    # month 3: 550 <= 600 is the first month the option is ahead
    assert break_even_month(0.002, API_OPTION, 100_000, 7) == 3
    assert break_even_month(0.002, API_OPTION, 10_000, 7) is None


def test_break_even_volume_api_option() -> None:
    # over 7 months each monthly call saves (0.002 - 0.0005) * 7 = 0.0105; one-time 400 + 2 * 100 = 600
    # -> 600 / 0.0105 = 57,142.857 calls/month
    v = break_even_volume(0.002, API_OPTION, 7)
    assert v == pytest.approx(600 / 0.0105)
    assert horizon_saving(0.002, API_OPTION, v, 7) == pytest.approx(0.0, abs=1e-6)
    assert break_even_volume(0.0004, API_OPTION, 7) is None  # the option's price per call is above the teacher's


def test_break_even_volume_self_hosted_one_replica() -> None:
    # teacher $0.001; fleet $730/month/replica -> $8760 over 12 months; one-time $1000
    # saving = 0.001 * 12 * V - 8760 - 1000 = 0  ->  V = 9760 / 0.012 = 813,333.3 (within one replica)
    opt = OptionCost(hosting=HOSTING, one_time_usd=1000.0)
    assert break_even_volume(0.001, opt, 12) == pytest.approx(9760 / 0.012)


def test_break_even_volume_needs_a_second_replica() -> None:
    # 1 call/s per replica -> 657,000 calls/month each. teacher $0.002: 0.024 per monthly call over 12 months.
    # one replica tops out at 0.024 * 657,000 - 8760 = 7008 saving, short of the $10,000 one-time cost;
    # two replicas: V = (2 * 8760 + 10000) / 0.024 = 1,146,666.7, inside (657,000, 1,314,000]
    hs = SelfHosting(1.0, 1.0, peak_to_average=2.0, min_replicas=1, utilisation=0.5)
    opt = OptionCost(hosting=hs, one_time_usd=10_000.0)
    v = break_even_volume(0.002, opt, 12)
    assert v == pytest.approx(27_520 / 0.024)
    # independent check: scan volumes; the first one with a non-negative saving is just above v
    grid = [1000 * k for k in range(1, 3000)]
    first = next(x for x in grid if horizon_saving(0.002, opt, x, 12) >= 0)
    assert first - 1000 < v <= first
    # the marginal replica costs more than the calls it saves: never breaks even
    assert break_even_volume(0.001, opt, 12) is None


def test_break_even_volume_respects_min_replicas() -> None:
    # three replicas are always up: V = (3 * 8760 + 1000) / 0.012 = 2,273,333.3 (one replica would carry it)
    hs = SelfHosting(1.0, 10.0, peak_to_average=2.0, min_replicas=3, utilisation=0.5)
    assert break_even_volume(0.001, OptionCost(hosting=hs, one_time_usd=1000.0), 12) == pytest.approx(27_280 / 0.012)


def test_option_usd_per_call_mixes_api_and_fleet() -> None:
    # route: student fleet $730 over 1M calls = 0.00073 plus 0.2 * 0.002 escalations = 0.0004 -> 0.00113
    opt = OptionCost(api_usd_per_call=0.2 * 0.002, hosting=HOSTING)
    assert option_usd_per_call(opt, 1_000_000) == pytest.approx(0.00113)


def test_sensitivity_break_even_values_by_hand() -> None:
    # route: student $0.0001/call (API) + 0.2 escalations * teacher $0.002, one-time 600, 100k calls, 7 months
    opt = OptionCost(api_usd_per_call=0.0001 + 0.2 * 0.002, one_time_usd=600.0)
    rows = {r.parameter: r for r in sensitivity(0.002, opt, 100_000, 7, escalation_rate=0.2)}
    assert set(rows) == {"teacher_price", "volume", "escalation_rate"}
    # teacher price t: (t - 0.0001 - 0.2 t) * 700,000 = 600  ->  t = (0.0001 + 600 / 700,000) / 0.8
    assert rows["teacher_price"].break_even == pytest.approx((0.0001 + 600 / 700_000) / 0.8, rel=1e-6)
    assert rows["teacher_price"].flips  # at half the price the route no longer pays
    # volume: (0.002 - 0.0005) * 7 * V = 600  ->  V = 57,142.86
    assert rows["volume"].break_even == pytest.approx(600 / 0.0105, rel=1e-6)
    # escalation e: (0.0019 - 0.002 e) * 700,000 = 600  ->  e = 0.5214286
    assert rows["escalation_rate"].break_even == pytest.approx((0.0019 - 600 / 700_000) / 0.002, rel=1e-6)
    base_saving = horizon_saving(0.002, opt, 100_000, 7)
    assert dict(rows["volume"].points)[100_000.0] == pytest.approx(base_saving)


def test_sensitivity_utilisation_for_self_hosted() -> None:
    # 20M calls/month need ceil(20M / 6.57M) = 4 replicas at 50% utilisation; at 100% only 2
    opt = OptionCost(hosting=HOSTING, one_time_usd=0.0)
    rows = {r.parameter: r for r in sensitivity(0.0002, opt, 20_000_000, 12)}
    util = dict(rows["utilisation"].points)
    # saving = 0.0002 * 20M * 12 - replicas * 8760
    assert util[0.5] == pytest.approx(48_000 - 4 * 8760)
    assert util[1.0] == pytest.approx(48_000 - 2 * 8760)
    assert not math.isnan(rows["volume"].base)


def test_hours_per_month_convention() -> None:
    assert HOURS_PER_MONTH == 730.0
    with pytest.raises(ValueError):
        SelfHosting(1.0, 10.0, peak_to_average=0.5)


def test_summarize_option_agrees_with_the_parts() -> None:
    s = summarize_option(0.002, API_OPTION, 100_000, 7)
    # $50/month recurring; 7 * 50 + 400 + 2 * 100 = 950 over the horizon; teacher 1400 -> saving 450
    assert (s.usd_per_call, s.monthly_usd, s.horizon_total_usd, s.saving_usd) == pytest.approx((0.0005, 50, 950, 450))
    assert s.break_even_month == 3 and s.redistillations == 2
    assert s.break_even_volume == pytest.approx(600 / 0.0105)
    assert s.cumulative_usd[-1] == pytest.approx(950)

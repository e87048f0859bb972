"""Distillation loss, soft targets and batching, checked against hand/numpy computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from advisor.distill.finetune import (
    FineTuneConfig,
    distillation_loss,
    length_grouped_batches,
    soft_targets,
)
from advisor.errors import SpecError


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_soft_targets_temperature_and_missing_mass() -> None:
    classes = ["a", "b", "c"]
    out = soft_targets([{"a": 0.6, "b": 0.3, "c": 0.1}, {"b": 0.7}, None], ["a", "b", "c"], classes, 2.0)
    # row 0: p ** (1/2) renormalised
    p = np.sqrt([0.6, 0.3, 0.1])
    np.testing.assert_allclose(out[0], p / p.sum(), rtol=1e-9)
    # row 1: the unlisted 0.3 is split over a and c, then softened
    p = np.sqrt([0.15, 0.7, 0.15])
    np.testing.assert_allclose(out[1], p / p.sum(), rtol=1e-9)
    # row 2: one-hot on its label (floored at 1e-6 before softening)
    assert out[2].argmax() == 2 and out[2, 2] > 0.99
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


def test_distillation_loss_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 3))
    soft = _softmax(rng.normal(size=(4, 3)))
    hard = np.array([0, 2, 1, 1])
    t, alpha = 3.0, 0.7
    log_s = np.log(_softmax(z / t))
    kl = np.mean(np.sum(soft * (np.log(soft) - log_s), axis=1))
    ce = -np.mean(np.log(_softmax(z))[np.arange(4), hard])
    expected = alpha * t**2 * kl + (1 - alpha) * ce
    got = distillation_loss(torch.tensor(z), torch.tensor(soft), torch.tensor(hard), t, alpha)
    assert float(got) == pytest.approx(expected, rel=1e-9)
    hard_only = distillation_loss(torch.tensor(z), None, torch.tensor(hard), t, alpha)
    assert float(hard_only) == pytest.approx(ce, rel=1e-9)


def test_length_grouped_batches_cover_every_index_once() -> None:
    lengths = [5, 1, 9, 3, 3, 7, 2, 8, 6, 4, 10]
    batches = length_grouped_batches(lengths, 3, np.random.default_rng(0), group=2)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    assert all(len(b) <= 3 for b in batches)


@pytest.mark.parametrize("kwargs", [{"temperature": 0}, {"alpha": 1.5}, {"epochs": 0}, {"num_layers": 0}])
def test_config_rejects_bad_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(SpecError):
        FineTuneConfig(**kwargs)  # type: ignore[arg-type]

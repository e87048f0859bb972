"""Fine-tuned MiniLM students: soft labels carry what hard labels cannot; saved students reload."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest

from advisor.backends.base import GenerateRequest
from advisor.distill.finetune import FineTuneConfig, FineTunedClassifier

pytestmark = pytest.mark.slow

FRUIT = ["apple", "pear", "plum", "grape", "lemon", "mango", "peach", "melon"]
TOOL = ["hammer", "wrench", "drill", "saw", "chisel", "pliers", "shovel", "ladder"]
ANIMAL = ["horse", "tiger", "zebra", "camel", "otter", "eagle", "whale", "rabbit"]
FILL = ["i saw a", "there is a", "look at the", "we like the", "he bought a"]

# Two layers, one short run: enough for the contrast below and small for 2 CPU cores.
CFG = dict(num_layers=2, epochs=4, batch_size=16, max_seq_len=16, learning_rate=1e-4, temperature=2.0)


def _texts(words: list[str], other: list[str] | None, rng: np.random.Generator, n: int) -> list[str]:
    out = []
    for _ in range(n):
        w = rng.choice(words)
        extra = f" and a {rng.choice(other)}" if other else ""
        out.append(f"{rng.choice(FILL)} {w}{extra}")
    return out


def test_soft_labels_teach_a_class_the_hard_labels_never_show() -> None:
    """Hinton et al.'s omitted-class case: the teacher's argmax is never "animal" in training, but its
    probabilities put mass on "animal" whenever an animal is mentioned. Only the soft-label student
    can learn that class; on the other classes it must do as well as the hard-label student."""
    rng = np.random.default_rng(0)
    pure = [(t, "fruit") for t in _texts(FRUIT, None, rng, 60)] + [(t, "tool") for t in _texts(TOOL, None, rng, 60)]
    mixed = [(t, "fruit") for t in _texts(FRUIT, ANIMAL, rng, 40)] + [
        (t, "tool") for t in _texts(TOOL, ANIMAL, rng, 40)
    ]
    texts = [t for t, _ in pure + mixed]
    labels = [lab for _, lab in pure + mixed]
    other = {"fruit": "tool", "tool": "fruit"}
    probs = [{lab: 0.95, other[lab]: 0.04, "animal": 0.01} for _, lab in pure] + [
        {lab: 0.55, other[lab]: 0.05, "animal": 0.40} for _, lab in mixed
    ]
    test_rng = np.random.default_rng(1)
    eval_texts = (
        _texts(FRUIT, None, test_rng, 20) + _texts(TOOL, None, test_rng, 20) + _texts(ANIMAL, None, test_rng, 20)
    )
    eval_gold = np.array(["fruit"] * 20 + ["tool"] * 20 + ["animal"] * 20)

    def accuracy(student: FineTunedClassifier) -> tuple[float, float]:
        pred = np.array(student.classes)[student.predict_proba(eval_texts).argmax(axis=1)]
        return float(np.mean(pred == eval_gold)), float(np.mean(pred[:40] == eval_gold[:40]))

    hard = FineTunedClassifier("hard", FineTuneConfig(**CFG))  # type: ignore[arg-type]
    hard_facts = hard.fit_sync(texts, labels)
    soft = FineTunedClassifier("soft", FineTuneConfig(**CFG, alpha=0.9))  # type: ignore[arg-type]
    soft_facts = soft.fit_sync(texts, labels, probabilities=probs)
    assert not hard_facts["soft_labels"] and soft_facts["soft_labels"]
    assert hard.classes == ["fruit", "tool"]
    assert soft.classes == ["animal", "fruit", "tool"]
    hard_all, hard_seen = accuracy(hard)
    soft_all, soft_seen = accuracy(soft)
    assert hard_all <= 2 / 3 + 1e-9  # it cannot name animals
    assert soft_all > hard_all + 0.15
    assert soft_seen >= hard_seen - 0.05


def test_saved_student_loads_as_transformers_classifier(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    rng = np.random.default_rng(2)
    texts = _texts(FRUIT, None, rng, 30) + _texts(TOOL, None, rng, 30)
    labels = ["fruit"] * 30 + ["tool"] * 30
    student = FineTunedClassifier(
        "s", FineTuneConfig(num_layers=1, epochs=1, max_seq_len=16), output_dir=str(tmp_path / "student")
    )
    facts = asyncio.run(student.fit(texts, labels, teacher="gold"))
    out = Path(facts["saved_to"])
    card = json.loads((out / "model_card.json").read_text())
    assert card["teacher"] == "gold" and card["n_train"] == 60 and card["labels"] == ["fruit", "tool"]
    assert card["data_fingerprint"].startswith("sha256:")
    assert card["hyperparameters"]["num_layers"] == 1

    probe = ["we like the pear", "he bought a drill"]
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    assert model.config.id2label == {0: "fruit", 1: "tool"}
    with torch.inference_mode():
        reloaded = torch.softmax(model(**tok(probe, padding=True, return_tensors="pt")).logits, -1).numpy()
    np.testing.assert_allclose(reloaded, student.predict_proba(probe), atol=1e-5)

    gens = asyncio.run(student.generate_batch([GenerateRequest(str(i), t) for i, t in enumerate(probe)]))
    assert [g.label for g in gens] == [model.config.id2label[int(i)] for i in reloaded.argmax(1)]
    assert all(g.probabilities and abs(sum(g.probabilities.values()) - 1) < 1e-6 for g in gens)

"""Fine-tuned MiniLM students: soft labels carry what hard labels cannot; saved students reload."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

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


def _fruit_tool_animal(
    rng: np.random.Generator, n_pure: int, n_mixed: int
) -> tuple[list[str], list[str], list[dict[str, float]]]:
    """Texts with the teacher's labels and probabilities: "animal" is never the argmax, but the teacher
    puts 40% on it whenever an animal is mentioned beside a fruit or a tool."""
    other = {"fruit": "tool", "tool": "fruit"}
    rows = [(t, "fruit", False) for t in _texts(FRUIT, None, rng, n_pure)]
    rows += [(t, "tool", False) for t in _texts(TOOL, None, rng, n_pure)]
    rows += [(t, "fruit", True) for t in _texts(FRUIT, ANIMAL, rng, n_mixed)]
    rows += [(t, "tool", True) for t in _texts(TOOL, ANIMAL, rng, n_mixed)]
    probs = [
        {lab: 0.55, other[lab]: 0.05, "animal": 0.40} if mixed else {lab: 0.95, other[lab]: 0.04, "animal": 0.01}
        for _, lab, mixed in rows
    ]
    return [t for t, _, _ in rows], [lab for _, lab, _ in rows], probs


def _kl_to_teacher(student: FineTunedClassifier, texts: list[str], probs: list[dict[str, float]]) -> float:
    """Mean KL(teacher || student) in nats; a class the student lacks gets probability 1e-6."""
    pred = student.predict_proba(texts)
    col = {c: i for i, c in enumerate(student.classes)}
    kl = 0.0
    for row, p in zip(pred, probs, strict=True):
        kl += sum(q * math.log(q / (row[col[c]] if c in col else 1e-6)) for c, q in p.items())
    return kl / len(texts)


def test_soft_labels_carry_what_hard_labels_cannot() -> None:
    """Hinton et al.'s dark knowledge: the teacher's argmax is never "animal", but its probabilities say
    when an animal is mentioned. On held-out texts the soft-label student reproduces that (low KL to the
    teacher, animal probability ranks mixed texts above pure ones), which the hard-label student cannot,
    and it loses nothing on the teacher's labels."""
    texts, labels, probs = _fruit_tool_animal(np.random.default_rng(0), 60, 40)
    ev_texts, ev_labels, ev_probs = _fruit_tool_animal(np.random.default_rng(1), 30, 30)
    mixed = np.array([p["animal"] > 0.2 for p in ev_probs])

    hard = FineTunedClassifier("hard", FineTuneConfig(**CFG))  # type: ignore[arg-type]
    hard_facts = hard.fit_sync(texts, labels)
    soft = FineTunedClassifier("soft", FineTuneConfig(**CFG, alpha=0.9))  # type: ignore[arg-type]
    soft_facts = soft.fit_sync(texts, labels, probabilities=probs)
    assert not hard_facts["soft_labels"] and soft_facts["soft_labels"]
    assert hard.classes == ["fruit", "tool"] and soft.classes == ["animal", "fruit", "tool"]

    soft_kl, hard_kl = _kl_to_teacher(soft, ev_texts, ev_probs), _kl_to_teacher(hard, ev_texts, ev_probs)
    assert soft_kl < 0.25 * hard_kl, (soft_kl, hard_kl)
    animal = soft.predict_proba(ev_texts)[:, soft.classes.index("animal")]
    assert roc_auc_score(mixed, animal) > 0.95
    assert 0.2 < float(animal[mixed].mean()) < 0.6 and float(animal[~mixed].mean()) < 0.05  # teacher: 0.40 and 0.01

    def agreement(student: FineTunedClassifier) -> float:
        pred = np.array(student.classes)[student.predict_proba(ev_texts).argmax(axis=1)]
        return float(np.mean(pred == np.array(ev_labels)))

    assert agreement(soft) >= agreement(hard) - 0.05


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

"""Hard-case analysis, macro-F1 and recorded correctness against independent computations."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from advisor.errors import SampleValidationError
from advisor.quality.classification import macro_f1
from advisor.quality.hardcases import analyse_hard_cases, quantile_bins
from advisor.quality.recorded import has_recorded_correctness, recorded_correctness


def test_macro_f1_matches_sklearn_with_unparsed_outputs() -> None:
    rng = np.random.default_rng(0)
    labels = ["a", "b", "c"]
    refs = list(rng.choice(labels, 300))
    pred = [r if rng.random() < 0.7 else rng.choice([*labels, None]) for r in refs]
    expected = f1_score(refs, ["<none>" if p is None else p for p in pred], labels=labels, average="macro")
    assert macro_f1(pred, refs, labels) == pytest.approx(expected)
    # By hand: a, a, b vs a, b, b -> F1(a) = 2/3, F1(b) = 2/3.
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"], ["a", "b"]) == pytest.approx(2 / 3)


def test_quantile_bins_agree_with_pandas_qcut() -> None:
    x = np.random.default_rng(1).integers(10, 500, 1000).astype(float)
    codes, names = quantile_bins(x, 4)
    ref = pd.qcut(x, 4, labels=False, duplicates="drop")
    assert len(names) == 4 and codes.tolist() == ref.tolist()
    for k in range(4):
        assert x[codes == k].max() < x[codes == k + 1].min() if k < 3 else True
    tied_codes, tied_names = quantile_bins(np.array([1.0] * 90 + [2.0] * 10), 4)
    assert len(tied_names) == 2 and np.bincount(tied_codes).tolist() == [90, 10]


def test_error_transfer_groups_and_examples_by_hand() -> None:
    # 8 examples: teacher wrong on 0-3; student copies 0,1 (0 with the same answer) and corrects 2,3;
    # the student adds an error on 4.
    ref = ["y", "y", "y", "y", "n", "n", "n", "n"]
    teacher_ans = ["n", "n", "n", "n", "n", "n", "n", "n"]
    student_ans = ["n", None, "y", "y", "y", "n", "n", "n"]
    s = np.array([a == r for a, r in zip(student_ans, ref, strict=True)], dtype=float)
    t = np.array([a == r for a, r in zip(teacher_ans, ref, strict=True)], dtype=float)
    h = analyse_hard_cases(
        s,
        t,
        np.random.default_rng(0),
        ids=[f"e{i}" for i in range(8)],
        slices=["x"] * 8,
        inputs=["a" * (i + 1) for i in range(8)],
        references=ref,
        student_answers=student_ans,
        teacher_answers=teacher_ans,
        teacher_confidence=[0.9, 0.8, 0.7, 0.6, 0.95, 0.99, 0.5, 0.4],
        n_bins=2,
        n_boot=500,
    )
    e = h.errors
    assert e is not None
    assert (e.teacher_errors, e.copied, e.copied_same_answer, e.corrected, e.new_errors) == (4, 2, 1, 2, 1)
    assert e.copy_rate == pytest.approx(0.5)
    # Length bins: lengths 1..8 split at the median 4.5 -> e0-e3 and e4-e7.
    short, long_ = h.by_input_length
    assert (short.n, long_.n) == (4, 4)
    assert short.gap == pytest.approx(s[:4].mean() - t[:4].mean()) and short.teacher == 0.0
    assert long_.gap == pytest.approx(-0.25) and long_.ci[0] <= -0.25 <= long_.ci[1]
    assert sum(g.n for g in h.by_teacher_confidence) == 8
    # Classes, rarest first (a tie: alphabetical): n (4), y (4).
    assert [g.name for g in h.by_class_frequency] == ["n (n=4)", "y (n=4)"]
    kinds = {(x.kind, x.id) for x in h.examples}
    assert kinds == {
        ("lost", "e4"),
        ("copied", "e0"),
        ("copied", "e1"),
        ("corrected", "e2"),
        ("corrected", "e3"),
    }


def test_many_classes_pool_into_frequency_terciles() -> None:
    refs = [f"c{k}" for k in range(9) for _ in range(k + 1)]  # class ck appears k+1 times
    n = len(refs)
    h = analyse_hard_cases(
        np.ones(n),
        np.ones(n),
        np.random.default_rng(0),
        ids=[str(i) for i in range(n)],
        slices=["s"] * n,
        inputs=["x"] * n,
        references=refs,
        n_boot=200,
    )
    assert [g.n for g in h.by_class_frequency] == [1 + 2 + 3, 4 + 5 + 6, 7 + 8 + 9]
    assert h.by_class_frequency[0].name.startswith("rare classes (3 classes")


def test_without_gold_there_are_no_teacher_errors() -> None:
    h = analyse_hard_cases(
        np.array([1.0, 0.0, 1.0]),
        np.ones(3),
        np.random.default_rng(0),
        ids=["a", "b", "c"],
        slices=["s"] * 3,
        inputs=["x", "yy", "zzz"],
        gold_based=False,
        n_bins=1,
        n_boot=200,
    )
    assert h.errors is None and [x.kind for x in h.examples] == ["lost"]


def test_recorded_correctness() -> None:
    outs = [(None, {"correct": True}), ("", {"correct": 0}), (None, {"correct": "false"})]
    assert has_recorded_correctness(outs)
    assert recorded_correctness(outs, model="m", ids=["a", "b", "c"]).tolist() == [1.0, 0.0, 0.0]
    assert recorded_correctness([("Yes", {"correct": 1})], model="m", ids=["a"]) is None
    with pytest.raises(SampleValidationError, match="sample 'b'"):
        recorded_correctness([(None, {"correct": 1}), (None, {"correct": 0.5})], model="m", ids=["a", "b"])

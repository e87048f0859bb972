"""`advisor run` on extraction, short-answer and generation samples, checked against hand-built truth.

Each test writes small samples whose right and wrong answers are known by construction, runs the
real pipeline with recorded backends, and recomputes every figure independently: exact-match
rates from the construction, field F1 from the slot sets, chrF with sacrebleu directly, CIs with
scipy's paired bootstrap, one-sided p-values with scipy's t-test, Holm with statsmodels.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sacrebleu
from scipy import stats
from statsmodels.stats.multitest import multipletests

from advisor.pipeline import run_spec
from advisor.report.schema import Report
from advisor.spec import parse_spec

N = 80
SLICES = ("dinner", "lunch")
STEP = 1 / 40 + 1e-9  # a slice's bootstrap mean of 0/1 differences moves in steps of 1 / 40
WORDS = "the quick brown fox jumps over a lazy dog while seven tired cats sleep near warm red bricks".split()


def run(tmp_path: Path, rows: list[dict[str, Any]], task: dict[str, Any], **extra: Any) -> tuple[Report, list[dict]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = parse_spec(
        {
            "task": task,
            "samples": {"path": str(path)},
            "teacher": {"name": "teacher", "backend": "recorded", "price": {"usd_per_call": 0.01}},
            "students": [{"name": "student", "backend": "recorded", "price": {"usd_per_call": 0.001}}],
            "constraints": {"max_gap": 0.1, "confidence": 0.95},
            "n_bootstrap": 4000,
            "seed": 5,
            **extra,
        }
    )
    report, paths = run_spec(spec, tmp_path / "out")
    preds = [json.loads(line) for line in paths["predictions"].read_text().splitlines()]
    return report, preds


def row(i: int, reference: Any, teacher: Any, student: Any) -> dict[str, Any]:
    out = {
        "id": f"x{i:03d}",
        "input": f"request number {i}: " + " ".join(WORDS[: 3 + i % 7]),
        "task": SLICES[i % 2],
        "outputs": {"teacher": {"output": teacher}, "student": {"output": student}},
    }
    if reference is not None:
        out["reference"] = reference
    return out


def scipy_ci(s: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    res = stats.bootstrap(
        (s, t),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        paired=True,
        vectorized=True,
        method="percentile",
        n_resamples=20000,
        random_state=np.random.default_rng(0),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def check_gaps(report: Report, s: np.ndarray, t: np.ndarray, *, binary: bool, ci_tol: float) -> None:
    """Quality, slices, gaps, CIs, tests, Holm and the non_inferior flags against independent values."""
    slices = np.array([SLICES[i % 2] for i in range(N)])
    ms, mt = report.models["student"], report.models["teacher"]
    assert ms.quality == pytest.approx(s.mean(), abs=1e-12) and mt.quality == pytest.approx(t.mean(), abs=1e-12)
    for name in SLICES:
        assert ms.slices[name] == pytest.approx(s[slices == name].mean(), abs=1e-12)
    gaps = report.gaps["student"]
    groups = [("overall", np.ones(N, bool))] + [(name, slices == name) for name in SLICES]
    raw_p = []
    for name, mk in groups:
        g = gaps.overall if name == "overall" else gaps.slices[name]
        d = s[mk] - t[mk]
        assert g.n == mk.sum() and g.gap == pytest.approx(d.mean(), abs=1e-12)
        lo, hi = scipy_ci(s[mk], t[mk])
        assert g.ci[0] == pytest.approx(lo, abs=ci_tol) and g.ci[1] == pytest.approx(hi, abs=ci_tol)
        if not binary:
            ref = stats.ttest_1samp(d, -0.1, alternative="greater").pvalue
            assert g.p_value_noninferiority == pytest.approx(ref, rel=1e-9)
        if binary:
            assert g.discordant == (int(np.sum(s[mk] > t[mk])), int(np.sum(s[mk] < t[mk])))
        else:
            assert g.discordant is None and g.p_value_mcnemar is None
        if name != "overall":
            raw_p.append(g.p_value_noninferiority)
    holm = multipletests(raw_p, method="holm")[1]
    for name, p_adj in zip(SLICES, holm, strict=True):
        g = gaps.slices[name]
        assert g.p_value_holm == pytest.approx(p_adj)
        assert g.non_inferior == (p_adj < 0.025) == (g.verdict == "non_inferior")
    assert gaps.overall.non_inferior == (gaps.overall.p_value_noninferiority < 0.025)


def extraction_rows(with_gold: bool) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """Teachers answer JSON text (right with prob. 0.9), students a logged dict (right with prob. 0.75).

    A wrong teacher names 99 people; a wrong student drops the people slot.
    """
    rng = np.random.default_rng(1)
    rows, t_ok, s_ok = [], rng.random(N) < 0.9, rng.random(N) < 0.75
    for i in range(N):
        gold = {"time": [f"{rng.integers(1, 12)} pm"], "people": [str(rng.integers(1, 9))]}
        teacher = gold if t_ok[i] else {**gold, "people": ["99"]}
        student = {k.upper(): v for k, v in gold.items()} if s_ok[i] else {"time": gold["time"]}
        rows.append(row(i, gold if with_gold else None, "Sure! " + json.dumps(teacher), student))
    return rows, t_ok.astype(float), s_ok.astype(float)


def test_extraction_exact_match_with_gold(tmp_path: Path) -> None:
    rows, t_ok, s_ok = extraction_rows(with_gold=True)
    report, preds = run(tmp_path, rows, {"type": "extraction"})
    assert report.task["metric"] == "exact_match" and report.dataset.quality_metric == "exact_match"
    check_gaps(report, s_ok, t_ok, binary=True, ci_tol=STEP)
    # Agreement: both right (a wrong student and a wrong teacher differ).
    assert report.models["student"].agreement_with_teacher == pytest.approx(np.mean(s_ok * t_ok))
    e = report.analysis["student"].errors
    assert e is not None and e.teacher_errors == (t_ok == 0).sum() and e.copied == ((t_ok == 0) & (s_ok == 0)).sum()
    assert e.copied_same_answer == 0 and e.corrected == ((t_ok == 0) & (s_ok == 1)).sum()
    assert report.analysis["student"].by_class_frequency == []
    assert [p["predictions"]["student"]["score"] for p in preds] == list(s_ok)


def test_extraction_field_f1_is_continuous_and_without_gold_is_fidelity(tmp_path: Path) -> None:
    rows, t_ok, s_ok = extraction_rows(with_gold=True)
    report, _ = run(tmp_path / "gold", rows, {"type": "extraction", "metric": "field_f1"})
    # By hand: a wrong teacher has 1 of 2 pairs right among 2 -> F1 1/2; a wrong student 1 pair of 2 -> 2/3.
    t_f1 = np.where(t_ok == 1, 1.0, 0.5)
    s_f1 = np.where(s_ok == 1, 1.0, 2 / 3)
    check_gaps(report, s_f1, t_f1, binary=False, ci_tol=0.006)
    # Against the teacher: right vs wrong teacher 1/2, wrong student vs either teacher 2/3.
    agree = np.where(s_ok == 1, np.where(t_ok == 1, 1.0, 0.5), 2 / 3)
    assert report.models["student"].agreement_with_teacher == pytest.approx(agree.mean())
    assert report.analysis["student"].errors is None  # no right/wrong outcomes with continuous scores

    rows, t_ok, s_ok = extraction_rows(with_gold=False)
    report, _ = run(tmp_path / "nogold", rows, {"type": "extraction"})
    assert report.dataset.quality_metric == "exact_match_vs_teacher"
    check_gaps(report, s_ok * t_ok, np.ones(N), binary=True, ci_tol=STEP)


def test_short_answer_numeric_and_normalised_exact_match(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    t_ok, s_ok = rng.random(N) < 0.85, rng.random(N) < 0.8
    answers = rng.integers(10, 5000, N)
    rows = [
        row(
            i,
            f"{answers[i]:,}",
            f"{i} + 3 = {i + 3}, so the total is\n#### {answers[i] + (0 if t_ok[i] else 1)}",
            f"The answer is {answers[i] if s_ok[i] else answers[i] - 7}.",
        )
        for i in range(N)
    ]
    report, _ = run(tmp_path / "num", rows, {"type": "short_answer", "metric": "numeric_match"})
    assert report.dataset.quality_metric == "numeric_match"
    check_gaps(report, s_ok.astype(float), t_ok.astype(float), binary=True, ci_tol=STEP)

    names = ["Eiffel Tower", "Mount Everest", "The Nile", "Lake Baikal"]
    rows = [
        row(
            i,
            names[i % 4],
            f"the {names[i % 4].lower()}." if t_ok[i] else "Big Ben",
            f'"{names[i % 4].upper()}"' if s_ok[i] else "I am not sure",
        )
        for i in range(N)
    ]
    report, _ = run(tmp_path / "em", rows, {"type": "short_answer"})
    assert report.dataset.quality_metric == "exact_match"
    check_gaps(report, s_ok.astype(float), t_ok.astype(float), binary=True, ci_tol=STEP)
    assert report.models["student"].agreement_with_teacher == pytest.approx(np.mean(s_ok & t_ok))


def perturb(rng: np.random.Generator, words: Sequence[str], rate: float) -> str:
    return " ".join(w if rng.random() > rate else str(rng.choice(WORDS)) for w in words)


def generation_rows(with_gold: bool) -> tuple[list[dict[str, Any]], list[str], list[str], list[str]]:
    rng = np.random.default_rng(3)
    refs, teach, stud, rows = [], [], [], []
    for i in range(N):
        ref = " ".join(rng.choice(WORDS, size=int(rng.integers(6, 14))))
        t = perturb(rng, ref.split(), 0.15)
        s = perturb(rng, ref.split(), 0.3 if i % 2 else 0.2)
        refs.append(ref)
        teach.append(t)
        stud.append(s)
        rows.append(row(i, ref if with_gold else None, t, s))
    return rows, refs, teach, stud


def sentence_chrf(hyps: Sequence[str], refs: Sequence[str]) -> np.ndarray:
    return np.array([sacrebleu.sentence_chrf(h, [r]).score / 100 for h, r in zip(hyps, refs, strict=True)])


def test_generation_chrf_against_sacrebleu_with_and_without_gold(tmp_path: Path) -> None:
    rows, refs, teach, stud = generation_rows(with_gold=True)
    report, preds = run(tmp_path / "gold", rows, {"type": "generation"})
    assert report.task["metric"] == "chrf" and report.dataset.quality_metric == "chrf"
    s, t = sentence_chrf(stud, refs), sentence_chrf(teach, refs)
    check_gaps(report, s, t, binary=False, ci_tol=0.006)
    assert report.models["student"].agreement_with_teacher == pytest.approx(sentence_chrf(stud, teach).mean())
    assert [p["predictions"]["teacher"]["score"] for p in preds] == pytest.approx(list(t))
    lost = [x for x in report.analysis["student"].examples if x.kind == "lost"]
    drops = sorted(range(N), key=lambda i: s[i] - t[i])[:5]
    assert sorted(x.id for x in lost) == sorted(f"x{i:03d}" for i in drops)

    rows, refs, teach, stud = generation_rows(with_gold=False)
    report, _ = run(tmp_path / "nogold", rows, {"type": "generation"})
    assert report.dataset.quality_metric == "chrf_vs_teacher"
    check_gaps(report, sentence_chrf(stud, teach), np.ones(N), binary=False, ci_tol=0.006)


def judge_rule(answer: str, reference: str) -> int:
    """The stand-in judge's grade: 5 for the same answer, 3 for the same first word, else 1."""
    a, r = answer.strip().lower(), reference.strip().lower()
    return 5 if a == r else 3 if a.split()[:1] == r.split()[:1] else 1


class JudgeServer:
    """An OpenAI-compatible judge on 127.0.0.1 that grades with ``rule`` and counts its calls."""

    def __init__(self, rule: Callable[[str, str], int]) -> None:
        self.calls = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                ref = prompt.split("Reference answer:\n", 1)[1].split("\n\nAnswer to grade:\n", 1)[0]
                answer = prompt.split("\n\nAnswer to grade:\n", 1)[1].split("\n\nReply with", 1)[0]
                text = f"Compared with the reference. Score: {rule(answer, ref)}"
                out = json.dumps(
                    {
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                        ],
                        "usage": {"prompt_tokens": 50, "completion_tokens": 8},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                server.calls += 1

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> JudgeServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_generation_llm_judge_through_an_http_judge(tmp_path: Path) -> None:
    rows, refs, teach, stud = generation_rows(with_gold=True)
    with JudgeServer(judge_rule) as judge:
        task = {
            "type": "generation",
            "metric": "judge",
            "judge": {"name": "judge", "backend": "openai", "url": judge.url, "max_concurrency": 4},
            "rubric": "Same meaning as the reference.",
        }
        report, _ = run(tmp_path, rows, task)
        # Gold: every answer once against the reference; students once more against the teacher.
        assert judge.calls == 3 * N
    assert report.dataset.quality_metric == "judge"
    grade = np.vectorize(lambda a, r: (judge_rule(a, r) - 1) / 4)
    s, t = grade(stud, refs), grade(teach, refs)
    check_gaps(report, s, t, binary=False, ci_tol=0.02)  # means move in steps of 0.5 / 40
    assert report.models["student"].agreement_with_teacher == pytest.approx(grade(stud, teach).mean())

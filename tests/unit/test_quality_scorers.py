"""Scorers for extraction, short answers, generation and the LLM judge."""

import asyncio
import json

import numpy as np
import pytest
import sacrebleu
from scipy.spatial.distance import cosine

from advisor.errors import SampleValidationError
from advisor.quality import extraction, generation, scoring, short_answer
from advisor.quality.judge import JudgeItem, judge_prompt, judge_scores, parse_judge_score
from tests.conftest import FakeBackend, shared_data_file


def test_extraction_exact_match_and_field_f1_by_hand() -> None:
    gold = {"time": ["7 pm"], "people": ["4"]}
    assert extraction.exact_match('Sure: {"people": "4", "time": "7  PM"}', gold) == 1.0
    # pred pairs {time:7 pm, people:5, date:friday}, gold {time:7 pm, people:4}: tp 1, F1 = 2/(3+2)
    pred = '{"time": "7 pm", "people": 5, "date": "friday"}'
    assert extraction.field_f1(pred, gold) == pytest.approx(2 / 5)
    assert extraction.exact_match(pred, gold) == 0.0
    assert extraction.field_f1("no json here", gold) == 0.0
    assert extraction.field_f1("{}", {}) == 1.0
    assert extraction.parse_fields('{bad} then {"a": [1, 2]}') == {"a": ("1", "2")}


def test_extraction_on_restaurant8k_gold_against_itself_and_a_dropped_slot() -> None:
    rows = [json.loads(line) for line in shared_data_file("restaurant8k").open() if line.strip()][:200]
    assert all(extraction.exact_match(json.dumps(r["gold"]), r["gold"]) == 1.0 for r in rows)
    multi = [r for r in rows if sum(len(v) for v in r["gold"].values()) >= 2]
    for r in multi:
        key = next(iter(r["gold"]))
        dropped = {k: v for k, v in r["gold"].items() if k != key}
        n_gold = sum(len(v) for v in r["gold"].values())
        n_pred = n_gold - len(r["gold"][key])
        assert extraction.field_f1(dropped, r["gold"]) == pytest.approx(2 * n_pred / (n_pred + n_gold))


def test_short_answer_by_hand() -> None:
    assert short_answer.exact_match("The Eiffel Tower!", "eiffel tower") == 1.0
    assert short_answer.exact_match(None, "x") == 0.0
    assert short_answer.extract_number("so 3 + 4 = 7 eggs.\n#### 1,250") == 1250.0
    assert short_answer.extract_number("She makes $18.50 a day") == 18.5
    assert short_answer.numeric_match("answer: -3.0", "-3") == 1.0
    assert short_answer.numeric_match("about 19", "18") == 0.0


def test_numeric_match_reproduces_routellm_gsm8k_correctness() -> None:
    rows = [json.loads(line) for line in shared_data_file("routellm_gsm8k").open() if line.strip()]
    agree = []
    for r in rows:
        for out in r["models"].values():
            recorded = str(out["correct"]).lower() == "true"
            agree.append(short_answer.numeric_match(out["output"], r["gold"]) == float(recorded))
    # RouteLLM graded with its own answer extraction; ours must agree on the great majority.
    assert np.mean(agree) > 0.9


def test_rouge_l_and_chrf_by_hand() -> None:
    # LCS("the cat sat on the mat", "the cat on the mat") = 5: P = 5/6, R = 1, F = 10/11
    assert generation.rouge_l("the cat sat on the mat", "the cat on the mat") == pytest.approx(10 / 11)
    assert generation.rouge_l("a b", "c d") == 0.0
    assert generation.chrf("the cat sat", "the cat sat") == pytest.approx(1.0)
    assert generation.chrf("xyz", "the cat sat") == pytest.approx(0.0)
    assert 0 < generation.chrf("the cat sat", "the cat sits") < 1


def test_cosine_rows_match_scipy() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 8)), rng.normal(size=(5, 8))
    expected = [1 - cosine(x, y) for x, y in zip(a, b, strict=True)]
    assert generation.cosine_rows(a, b) == pytest.approx(expected)
    assert generation.cosine_rows(np.zeros((1, 3)), np.ones((1, 3))).tolist() == [0.0]


@pytest.mark.slow
def test_embedding_similarity_with_minilm() -> None:
    from advisor.distill.encoders import load_minilm

    model = load_minilm()
    sims = generation.embedding_similarity(
        ["The invoice was paid twice.", "The invoice was paid twice."],
        ["I was charged two times for the same bill.", "The weather in Lisbon is sunny."],
        lambda texts: np.asarray(model.encode(texts)),
    )
    assert sims[0] > sims[1] + 0.2


def test_judge_prompt_parse_and_scores_through_a_backend() -> None:
    item = JudgeItem("q1", "What is 2+2?", "4", reference="4")
    prompt = judge_prompt(item, "Be strict.", scale=5)
    assert "Be strict." in prompt and "Reference answer:\n4" in prompt and "from 1 to 5" in prompt
    assert parse_judge_score("Looks right. Score: 4", 5) == pytest.approx(0.75)
    assert parse_judge_score("score=1 ... final Score: 5", 5) == 1.0
    assert parse_judge_score("Score: 9", 5) is None and parse_judge_score("great", 5) is None
    judge = FakeBackend("judge", ["Correct. Score: 5", "Wrong. Score: 1", "no score"])
    items = [item, JudgeItem("q2", "Capital of France?", "Rome"), JudgeItem("q3", "x", "y")]
    assert asyncio.run(judge_scores(judge, items)) == [1.0, 0.0, None]
    assert [r.sample_id for r in judge.history] == ["judge:q1", "judge:q2", "judge:q3"]


def test_extraction_reads_a_logged_dict_turned_into_text() -> None:
    # The recorded backend turns a logged dict into its Python text form.
    assert extraction.parse_fields(str({"Time": ["7 pm"], "people": 4})) == {"time": ("7 pm",), "people": ("4",)}
    assert extraction.parse_fields("x {'a': 1} and a stray }") == {"a": ("1",)}
    assert extraction.parse_fields("{not: python} nor json") is None


def test_score_outputs_extraction_against_gold_and_against_the_teacher() -> None:
    gold = [{"a": "1", "b": "2"}] * 3
    teacher = ['{"a": "1", "b": "2"}', '{"a": "1", "b": "9"}', "no json"]
    student = ['{"a": 1, "b": 2}', '{"a": "1"}', '{"a": "1", "b": "9"}']
    em = scoring.score_outputs("extraction", "exact_match", student, gold, teacher)
    assert em.score.tolist() == [1.0, 0.0, 0.0] and em.agree.tolist() == [1.0, 0.0, 0.0] and em.unparsed == 0
    f1 = scoring.score_outputs("extraction", "field_f1", student, gold, teacher)
    # By hand: {a} vs {a, b}: 2*1/3; {a, b:9} vs {a, b}: 2*1/4. Against the teacher: 1, 2*1/3, 0 (no JSON).
    assert f1.score == pytest.approx([1.0, 2 / 3, 0.5]) and f1.agree == pytest.approx([1.0, 2 / 3, 0.0])
    # Without gold the teacher is the reference; its own unparsed output scores 0.
    t_self = scoring.score_outputs("extraction", "exact_match", teacher, None, teacher)
    assert t_self.score.tolist() == [1.0, 1.0, 0.0] and t_self.unparsed == 1
    assert em.answers[0] == json.dumps({"a": ["1"], "b": ["2"]}, sort_keys=True)
    with pytest.raises(SampleValidationError, match="'e2'"):
        scoring.check_references("extraction", "exact_match", [gold[0], "none"], ["e1", "e2"])


def test_score_outputs_short_answer_and_generation_by_hand_and_with_sacrebleu() -> None:
    sa = scoring.score_outputs(
        "short_answer", "numeric_match", ["so #### 1,250", "about 7", ""], ["1250", "8", "3"], ["1250", "7", "3"]
    )
    assert sa.score.tolist() == [1.0, 0.0, 0.0] and sa.agree.tolist() == [1.0, 1.0, 0.0] and sa.unparsed == 1
    assert sa.answers == (1250.0, 7.0, None)
    hyp, ref, t = ["the cat sat on a mat", ""], ["the cat sat on the mat", "a dog"], ["a cat sat", "a dog"]
    ch = scoring.score_outputs("generation", "chrf", hyp, ref, t)
    assert ch.score == pytest.approx([sacrebleu.sentence_chrf(hyp[0], [ref[0]]).score / 100, 0.0])
    assert ch.agree == pytest.approx([sacrebleu.sentence_chrf(hyp[0], [t[0]]).score / 100, 0.0])
    assert ch.unparsed == 1 and not ch.binary
    rl = scoring.score_outputs("generation", "rouge_l", hyp, ref, t)
    assert rl.score == pytest.approx([5 / 6, 0.0])  # LCS 5 of 6 tokens each way


def test_score_outputs_embedding_is_the_clipped_cosine() -> None:
    def letters(texts: list[str]) -> np.ndarray:
        return np.array([[t.count(c) for c in "abcdefghijklmnopqrstuvwxyz"] for t in texts], dtype=float)

    hyp, ref = ["abc", "zzz", "cab"], ["abd", "abc", "abc"]
    out = scoring.score_outputs("generation", "embedding", hyp, ref, ref, encode=letters)
    expected = [1 - cosine(letters([h])[0], letters([r])[0]) for h, r in zip(hyp, ref, strict=True)]
    assert out.score == pytest.approx(expected) and out.score[2] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="encoder"):
        scoring.score_outputs("generation", "embedding", hyp, ref, ref)

"""An LLM judge: a backend grades each answer against a rubric on a 1..N scale."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..backends.base import Backend, GenerateRequest

_SCORE = re.compile(r"score\s*[:=]?\s*(\d+(?:\.\d+)?)", re.IGNORECASE)

DEFAULT_RUBRIC = (
    "Judge whether the answer is correct, complete and helpful for the question. "
    "Penalise factual errors more than style."
)


@dataclass(frozen=True)
class JudgeItem:
    """One answer to grade."""

    id: str
    question: str
    answer: str
    reference: str | None = None


def judge_prompt(item: JudgeItem, rubric: str = DEFAULT_RUBRIC, scale: int = 5) -> str:
    """The grading prompt; the judge must end with ``Score: <1..scale>``."""
    ref = f"\n\nReference answer:\n{item.reference}" if item.reference is not None else ""
    return (
        f"You are grading an answer. Rubric: {rubric}\n\nQuestion:\n{item.question}{ref}\n\n"
        f"Answer to grade:\n{item.answer}\n\n"
        f"Reply with one short sentence of justification, then a line 'Score: N' with N from 1 to {scale}."
    )


def parse_judge_score(text: str, scale: int = 5) -> float | None:
    """The last ``Score: N`` in the judge's reply mapped to [0, 1]; None if absent or out of range."""
    found = _SCORE.findall(text)
    if not found:
        return None
    value = float(found[-1])
    if not 1 <= value <= scale:
        return None
    return (value - 1) / (scale - 1)


def judge_request(item: JudgeItem, rubric: str = DEFAULT_RUBRIC, scale: int = 5) -> GenerateRequest:
    """The call that asks the judge to grade ``item`` (temperature 0, a short reply)."""
    return GenerateRequest(f"judge:{item.id}", judge_prompt(item, rubric, scale), max_tokens=128)


async def judge_scores(
    judge: Backend, items: Sequence[JudgeItem], *, rubric: str = DEFAULT_RUBRIC, scale: int = 5
) -> list[float | None]:
    """Grade every item with ``judge`` (temperature 0); None where the reply holds no valid score."""
    out: list[float | None] = []
    for item in items:
        gen = await judge.generate(judge_request(item, rubric, scale))
        out.append(parse_judge_score(gen.text, scale))
    return out

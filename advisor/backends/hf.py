"""Local transformers checkpoints: sequence classification, causal LM and seq2seq generation.

Weights load only from a local folder or from an installed package (``package:NAME``), never
from a hub. Inference runs batched on one background thread so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from ..errors import BackendError, SpecError
from ..samples import SampleSet
from ..spec import ModelSpec
from .base import Backend, GenerateRequest, Generation, Usage

Task = Literal["auto", "classification", "causal", "seq2seq"]
_GENERIC_LABEL = "LABEL_"


def resolve_model_path(path: str, *, model: str = "model") -> Path:
    """A local checkpoint folder: ``path`` itself, or the folder of package ``package:NAME``.

    Inside a package, a ``model/`` subfolder holding ``config.json`` is used when present.

    Raises:
        SpecError: when the folder or package does not exist.

    """
    if path.startswith("package:"):
        pkg = path.removeprefix("package:")
        spec = importlib.util.find_spec(pkg)
        if spec is None or spec.origin is None:
            raise SpecError(f"model '{model}': package '{pkg}' is not installed; pip install it, or give a folder")
        folder = Path(spec.origin).parent
        if not (folder / "config.json").is_file() and (folder / "model" / "config.json").is_file():
            folder = folder / "model"
        return folder
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise SpecError(
            f"model '{model}': checkpoint folder {folder} does not exist; backend hf loads only local "
            "folders or installed packages ('package:NAME'), never a hub id"
        )
    return folder


class HFBackend(Backend):
    """A transformers model in this process.

    Args:
        name: model name in the run.
        path: a local folder or ``package:NAME``.
        task: ``classification`` (probabilities over labels), ``causal`` or ``seq2seq``
            (greedy generation; confidence is exp of the mean token log-probability), or
            ``auto`` to read it from the checkpoint's config.
        device: ``auto`` (cuda, then mps, then cpu) or a torch device string.
        dtype: ``auto`` (bfloat16 on a GPU that supports it, else float16 there; float32 on
            CPU) or a torch dtype name.
        batch_size: requests per forward pass.
        max_new_tokens: generation length when a request sets none.
        max_length: input tokens kept (longer inputs are truncated).
        gguf_file: a GGUF file inside ``path`` (dequantised at load).
    """

    local = True

    def __init__(
        self,
        name: str,
        path: str,
        *,
        task: Task = "auto",
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 16,
        max_new_tokens: int = 16,
        max_length: int = 512,
        gguf_file: str | None = None,
    ) -> None:
        self.name = name
        self.path = resolve_model_path(path, model=name)
        if gguf_file is not None and not (self.path / gguf_file).is_file():
            raise SpecError(f"model '{name}': gguf_file {gguf_file} is not in {self.path}")
        self.task = task
        self.device_request = device
        self.dtype_request = dtype
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.max_length = max_length
        self.gguf_file = gguf_file
        self.device: str | None = None
        self.dtype: str | None = None
        self._model: Any = None
        self._tok: Any = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hf-{name}")

    @classmethod
    def from_spec(cls, spec: ModelSpec, samples: SampleSet) -> HFBackend:
        """Build from ``path`` and ``options`` (task, device, dtype, batch_size, ...)."""
        options = dict(spec.options)
        path = spec.path or options.pop("path", None)
        if not path:
            raise SpecError(f"model '{spec.name}': backend hf needs 'path' (a local folder or package:NAME)")
        return cls(spec.name, str(path), **options)

    # -- loading (on the worker thread) -------------------------------------------------------

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import (
            AutoConfig,
            AutoModelForCausalLM,
            AutoModelForSeq2SeqLM,
            AutoModelForSequenceClassification,
            AutoTokenizer,
        )

        kw: dict[str, Any] = {"local_files_only": True}
        if self.gguf_file:
            kw["gguf_file"] = self.gguf_file
        try:
            config = AutoConfig.from_pretrained(str(self.path), **kw)
            task: Literal["auto", "classification", "causal", "seq2seq"]
            if self.task != "auto":
                task = self.task
            elif self.gguf_file and not getattr(config, "architectures", None):
                task = "causal"  # GGUF checkpoints are language models
            else:
                task = _task_of(config)
            device = self.device_request
            if device == "auto":
                if torch.cuda.is_available():
                    device = "cuda"
                elif torch.backends.mps.is_available():
                    device = "mps"
                else:
                    device = "cpu"
            dtype: Any
            if self.dtype_request != "auto":
                dtype = getattr(torch, self.dtype_request)
            elif device.startswith("cuda"):
                dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            else:
                dtype = torch.float32
            auto = {
                "classification": AutoModelForSequenceClassification,
                "causal": AutoModelForCausalLM,
                "seq2seq": AutoModelForSeq2SeqLM,
            }[task]
            tok = AutoTokenizer.from_pretrained(str(self.path), **kw)
            model = auto.from_pretrained(str(self.path), dtype=dtype, **kw).to(device).eval()
        except (OSError, ValueError) as e:
            raise BackendError(f"model '{self.name}': cannot load {self.path}: {e}") from None
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token or tok.unk_token
        if task == "causal":
            tok.padding_side = "left"
        self.task, self.device, self.dtype = task, device, str(dtype).removeprefix("torch.")
        self._tok, self._model = tok, model

    # -- inference (on the worker thread) -----------------------------------------------------

    def _run(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        self._load()
        out: list[Generation] = []
        for i in range(0, len(requests), self.batch_size):
            chunk = requests[i : i + self.batch_size]
            start = time.perf_counter()
            if self.task == "classification":
                gens = self._classify(chunk)
            else:
                gens = self._generate(chunk)
            if len(chunk) == 1:
                gens = [_with_latency(gens[0], (time.perf_counter() - start) * 1000)]
            out.extend(gens)
        return out

    def _classify(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        import torch

        enc = self._tok(
            [r.text for r in requests],
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        ).to(self.device)
        with torch.inference_mode():
            probs = torch.softmax(self._model(**enc).logits.float(), dim=-1).cpu().tolist()
        n_in = enc["attention_mask"].sum(dim=1).tolist()
        id2label = self._model.config.id2label
        gens = []
        for r, p, tin in zip(requests, probs, n_in, strict=True):
            names = [str(id2label[j]) for j in range(len(p))]
            if r.labels and len(r.labels) == len(p) and all(n.startswith(_GENERIC_LABEL) for n in names):
                names = list(r.labels)  # an unnamed head: its outputs follow the task's label order
            dist = dict(zip(names, p, strict=True))
            best = max(dist, key=dist.__getitem__)
            gens.append(
                Generation(
                    text=best,
                    label=best,
                    confidence=dist[best],
                    probabilities=dist,
                    usage=Usage(int(tin), 0),
                )
            )
        return gens

    def _prompt(self, request: GenerateRequest) -> str:
        if self.task == "causal" and getattr(self._tok, "chat_template", None):
            msgs = (
                [{"role": "user", "content": request.input}]
                if isinstance(request.input, str)
                else [{"role": m.role, "content": m.content} for m in request.input]
            )
            return str(self._tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False))
        return request.text

    def _generate(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        import torch

        enc = self._tok(
            [self._prompt(r) for r in requests],
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
            add_special_tokens=self.task != "causal" or not getattr(self._tok, "chat_template", None),
        ).to(self.device)
        max_new = max(r.max_tokens or self.max_new_tokens for r in requests)
        with torch.inference_mode():
            res = self._model.generate(
                input_ids=enc["input_ids"],
                attention_mask=enc["attention_mask"],
                max_new_tokens=max_new,
                do_sample=False,
                output_scores=True,
                return_dict_in_generate=True,
                pad_token_id=self._tok.pad_token_id,
            )
            steps = self._model.compute_transition_scores(res.sequences, res.scores, normalize_logits=True)
        new = res.sequences[:, -steps.shape[1] :]
        stop = {t for t in (self._tok.eos_token_id, self._tok.pad_token_id) if t is not None}
        n_in = enc["attention_mask"].sum(dim=1).tolist()
        gens = []
        for row, (ids, lps) in enumerate(zip(new.tolist(), steps.float().cpu().tolist(), strict=True)):
            kept: list[int] = []
            logps: list[float] = []
            for tok_id, lp in zip(ids, lps, strict=True):
                if tok_id in stop:
                    break
                kept.append(tok_id)
                logps.append(lp)
            text = self._tok.decode(kept, skip_special_tokens=True).strip()
            finite = [v for v in logps if math.isfinite(v)]
            conf = math.exp(sum(finite) / len(finite)) if finite else None
            gens.append(Generation(text=text, confidence=conf, usage=Usage(int(n_in[row]), len(kept))))
        return gens

    # -- the interface ------------------------------------------------------------------------

    async def generate(self, request: GenerateRequest) -> Generation:
        """One request (a batch of one)."""
        return (await self.generate_batch([request]))[0]

    async def generate_batch(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """Requests in batches of ``batch_size`` on the worker thread."""
        if not requests:
            return []
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run, list(requests))

    def hardware(self) -> dict[str, Any]:
        """Where the model ran: device and dtype (after loading)."""
        return {"device": self.device, "dtype": self.dtype, "task": self.task}

    async def aclose(self) -> None:
        """Drop the model and stop the worker thread."""
        self._model = None
        self._tok = None
        self._executor.shutdown(wait=False)


def _task_of(config: Any) -> Task:
    if getattr(config, "is_encoder_decoder", False):
        return "seq2seq"
    archs = getattr(config, "architectures", None) or []
    if any(a.endswith("ForSequenceClassification") for a in archs):
        return "classification"
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs):
        return "causal"
    raise SpecError(
        f"cannot tell the task of a checkpoint with architectures {archs or 'unknown'}; "
        "set options.task to classification, causal or seq2seq"
    )


def _with_latency(gen: Generation, latency_ms: float) -> Generation:
    return replace(gen, latency_ms=latency_ms)

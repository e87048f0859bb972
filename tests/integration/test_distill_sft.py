"""SFT of a causal LM on teacher outputs: a tiny random Llama (always) and SmolLM2 (opt-in)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from advisor.backends.base import GenerateRequest
from advisor.backends.hf import HFBackend
from advisor.distill.encoders import minilm_path
from advisor.distill.sft import SFTConfig, SFTStudent, build_sft_examples, smollm2_gguf

pytestmark = pytest.mark.slow

POS = ["a good day", "so good", "good food here", "really good", "good job", "good stuff", "very good"]
NEG = ["a bad day", "so bad", "bad food here", "really bad", "bad job", "bad stuff", "very bad"]


def _tiny_llama(folder: Path) -> str:
    """A randomly initialised 2-layer Llama with MiniLM's WordPiece tokenizer, saved to ``folder``."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(minilm_path())
    tok.eos_token = "[SEP]"
    config = LlamaConfig(
        vocab_size=tok.vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=64,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.cls_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


def test_prompt_tokens_are_masked(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(_tiny_llama(tmp_path / "base"))
    [(ids, labels)] = build_sft_examples(tok, ["a good day"], ["positive"], max_seq_len=32)
    n_target = len(tok("positive", add_special_tokens=False)["input_ids"]) + 1  # + eos
    assert labels[-n_target:] == ids[-n_target:]
    assert labels[:-n_target] == [-100] * (len(ids) - n_target)
    assert ids[-1] == tok.eos_token_id


@pytest.mark.parametrize("lora_rank", [None, 4])
def test_sft_learns_teacher_outputs_and_saves_loadable_student(tmp_path: Path, lora_rank: int | None) -> None:
    from transformers import AutoModelForCausalLM

    base = _tiny_llama(tmp_path / "base")
    texts = POS + NEG
    targets = ["positive"] * len(POS) + ["negative"] * len(NEG)
    cfg = SFTConfig(epochs=25, batch_size=7, learning_rate=1e-2 if lora_rank is None else 3e-2, lora_rank=lora_rank)
    student = SFTStudent("sft", cfg, base_path=base, output_dir=str(tmp_path / "out"), max_new_tokens=3)
    facts = student.fit_sync(texts, targets, teacher="gold")
    if lora_rank is None:
        assert facts["final_loss"] < 0.25 * facts["first_loss"]
        assert student.generate_texts(["good day", "bad day"]) == ["positive", "negative"]
    else:  # adapters on a random 32-wide model learn slowly: only check that they learn
        assert facts["final_loss"] < facts["first_loss"]
        assert facts["trainable_parameters"] < 0.2 * facts["parameters"]

    out = Path(facts["saved_to"])
    card = json.loads((out / "model_card.json").read_text())
    assert card["kind"] == "causal-lm" and card["teacher"] == "gold" and card["n_train"] == len(texts)
    reloaded = AutoModelForCausalLM.from_pretrained(out)  # merged: loads without peft
    assert not any("lora" in n for n, _ in reloaded.named_parameters())


def test_smollm2_sft_learns_the_teacher_answers(tmp_path: Path) -> None:
    """LoRA SFT of the real SmolLM2-135M-Instruct on CPU (about a minute): it answers like the teacher."""
    pytest.importorskip("gguf")
    smollm2_gguf()
    student = SFTStudent(
        "smol",
        SFTConfig(epochs=3, batch_size=7, learning_rate=1e-3, lora_rank=8),
        output_dir=str(tmp_path / "smol"),
    )
    facts = student.fit_sync(POS + NEG, ["positive"] * len(POS) + ["negative"] * len(NEG), teacher="gold")
    assert facts["final_loss"] < 0.5 * facts["first_loss"]
    # Inputs it never trained on; an under-trained student chats instead ("I'm glad to help! ...").
    answers = [a.lower() for a in student.generate_texts(["good day", "bad day"])]
    assert answers[0].startswith("positive") and answers[1].startswith("negative")
    # Saved as a plain checkpoint (no GGUF quantization left) that loads as an `hf` student.
    saved = Path(facts["saved_to"])
    config = json.loads((saved / "config.json").read_text())
    assert "quantization_config" not in config
    backend = HFBackend("smol-hf", str(saved), max_new_tokens=3)
    try:
        gens = asyncio.run(backend.generate_batch([GenerateRequest("a", "good day"), GenerateRequest("b", "bad day")]))
    finally:
        asyncio.run(backend.aclose())
    assert [g.text.strip().lower() for g in gens] == answers

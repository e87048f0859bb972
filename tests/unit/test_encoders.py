"""The student's fast MiniLM path gives sentence-transformers' own embeddings."""

import numpy as np
import pytest

from advisor.distill.encoders import encode_sorted, load_minilm


@pytest.mark.slow
def test_encode_sorted_matches_sentence_transformers_encode() -> None:
    enc = load_minilm()
    words = "the refund for my order never arrived and support has not answered".split()
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, size=int(n))) for n in rng.integers(1, 300, size=40)]
    texts.append("x " * 400)  # longer than max_seq_length: truncated the same way
    expected = enc.encode(texts, normalize_embeddings=True, batch_size=16)
    # A small budget forces many batches of different widths; order must come back as given.
    got = encode_sorted(enc, texts, token_budget=512, max_batch=8)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert encode_sorted(enc, []).shape == (0, expected.shape[1])

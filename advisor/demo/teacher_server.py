"""The demo's teacher: an OpenAI-compatible chat-completions server on 127.0.0.1.

It stands in for an LLM API. Behind the HTTP endpoint is a classifier fitted on a
gold-labelled pool of the demo tickets that the run never sees (MiniLM sentence
embeddings and TF-IDF n-grams, logistic regression). It answers with the label as the
message, the label's log-probability in ``logprobs`` and token usage counted with the
MiniLM tokenizer, as an API would. Run: ``python -m advisor.demo.teacher_server --port N``.
"""

from __future__ import annotations

import argparse
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from .tickets import teacher_pool

MODEL_ID = "demo-teacher-1"


class _Message(BaseModel):
    role: str
    content: str


class _ChatRequest(BaseModel):
    model: str = MODEL_ID
    messages: list[_Message]
    temperature: float = 0.0
    max_tokens: int | None = None
    logprobs: bool = False


class TeacherClassifier:
    """MiniLM embeddings and TF-IDF features, one logistic regression, fitted on gold labels."""

    def __init__(self) -> None:
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        from ..distill.encoders import load_minilm

        self._hstack, self._csr = hstack, csr_matrix
        self.encoder = load_minilm()
        rows = teacher_pool()
        texts = [r["input"] for r in rows]
        self.tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(texts)
        self.head = LogisticRegression(C=8.0, max_iter=3000, random_state=0)
        self.head.fit(self._features(texts), [r["reference"] for r in rows])
        self.classes = [str(c) for c in self.head.classes_]

    def _features(self, texts: list[str]) -> Any:
        emb = self.encoder.encode(texts, normalize_embeddings=True, show_progress_bar=False)
        return self._hstack([self._csr(emb * 2.0), self.tfidf.transform(texts)]).tocsr()

    def classify(self, text: str) -> tuple[str, float]:
        """The label and its probability."""
        proba = self.head.predict_proba(self._features([text]))[0]
        best = int(np.argmax(proba))
        return self.classes[best], float(proba[best])

    def count_tokens(self, text: str) -> int:
        """Tokens as the MiniLM tokenizer counts them."""
        return len(self.encoder.tokenizer.encode(text, add_special_tokens=False))


def create_app() -> FastAPI:
    """The teacher server; the classifier is fitted at start-up."""
    state: dict[str, TeacherClassifier] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["clf"] = TeacherClassifier()
        yield

    app = FastAPI(title="Distillation Advisor demo teacher", lifespan=lifespan)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "model": MODEL_ID}

    @app.post("/v1/chat/completions")
    def chat(req: _ChatRequest) -> dict[str, Any]:
        user = [m.content for m in req.messages if m.role == "user"]
        if not user:
            raise HTTPException(status_code=400, detail="messages must include a user message")
        clf = state["clf"]
        prompt = "\n".join(m.content for m in req.messages)
        label, prob = clf.classify(user[-1])
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": label},
            "finish_reason": "stop",
        }
        if req.logprobs:
            choice["logprobs"] = {"content": [{"token": label, "logprob": math.log(max(prob, 1e-12))}]}
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": MODEL_ID,
            "choices": [choice],
            "usage": {
                "prompt_tokens": clf.count_tokens(prompt),
                "completion_tokens": clf.count_tokens(label),
                "total_tokens": clf.count_tokens(prompt) + clf.count_tokens(label),
            },
        }

    return app


def main() -> None:
    """Serve on 127.0.0.1."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

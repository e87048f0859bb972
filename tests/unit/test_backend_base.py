"""GenerateRequest.text: what local students and token estimates read from a request."""

from __future__ import annotations

from advisor.backends.base import GenerateRequest
from advisor.samples import ChatMessage


def test_request_text_is_the_string_or_the_messages_joined() -> None:
    assert GenerateRequest("a", "hello").text == "hello"
    chat = (ChatMessage("system", "be brief"), ChatMessage("user", "hi"))
    assert GenerateRequest("b", chat).text == "be brief\nhi"

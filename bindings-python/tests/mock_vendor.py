"""A local HTTP server that answers like OpenAI's and Anthropic's APIs.

The tests point the real SDKs at it through `base_url`. It listens on
127.0.0.1 on a port the OS picks, records every request body it receives, and
answers with a scripted text and fixed usage: JSON bodies, or server-sent
event streams with usage in the last chunk, in the vendors' documented shapes
(https://platform.openai.com/docs/api-reference/chat-streaming and
https://docs.anthropic.com/en/api/messages-streaming).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")


def echo_placeholders(body: dict[str, Any]) -> str:
    """Return a reply that quotes every placeholder found in the request body."""
    found = PLACEHOLDER.findall(json.dumps(body))
    unique = list(dict.fromkeys(found))
    return "Noted: " + ", ".join(unique) + "." if unique else "Noted."


class MockVendor:
    """The server, its scripted answer and the requests it received.

    Attributes a test may set before a request:
    `reply` (a function from the request body to the answer text),
    `usage_input` and `usage_output` (the usage reported),
    `status` (an HTTP error status to answer with instead, such as 500),
    `chunk_size` (characters per streamed text delta),
    `tool_call` (a tool call `(name, arguments)` added to the answer; Anthropic
    gets a `tool_use` block whose input is the arguments, streamed as `input_json_delta`),
    `send_usage` (OpenAI: `False` answers without usage, as some compatible servers do).
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.reply: Callable[[dict[str, Any]], str] = echo_placeholders
        self.usage_input = 31
        self.usage_output = 9
        self.status: int | None = None
        self.chunk_size = 3
        self.tool_call: tuple[str, str] | None = None
        self.send_usage = True
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def last_body(self) -> dict[str, Any]:
        return self.requests[-1]

    def start(self) -> MockVendor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def chunks(self, text: str) -> list[str]:
        return [text[i : i + self.chunk_size] for i in range(0, len(text), self.chunk_size)]


def _handler_for(vendor: MockVendor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            vendor.requests.append(body)
            vendor.paths.append(self.path)

            if vendor.status is not None:
                self._send_json(vendor.status, _error_body(self.path, vendor.status))
                return
            if self.path.endswith("/chat/completions"):
                openai_answer(self, vendor, body)
            elif self.path.endswith("/messages"):
                anthropic_answer(self, vendor, body)
            else:
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def send_events(self, events: list[tuple[str | None, str]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for name, data in events:
                    if name is not None:
                        self.wfile.write(f"event: {name}\n".encode())
                    self.wfile.write(f"data: {data}\n\n".encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                # The client stopped reading; a real vendor stops generating too.
                pass

    return Handler


def _error_body(path: str, status: int) -> dict[str, Any]:
    if path.endswith("/messages"):
        return {"type": "error", "error": {"type": "api_error", "message": "mock failure"}}
    return {"error": {"message": "mock failure", "type": "server_error", "code": None}}


def openai_answer(handler: Any, vendor: MockVendor, body: dict[str, Any]) -> None:
    text = vendor.reply(body)
    usage = {
        "prompt_tokens": vendor.usage_input,
        "completion_tokens": vendor.usage_output,
        "total_tokens": vendor.usage_input + vendor.usage_output,
    }
    base = {"id": "chatcmpl-mock", "created": 1_700_000_000, "model": body.get("model")}

    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if vendor.tool_call is not None:
            name, arguments = vendor.tool_call
            message["tool_calls"] = [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            ]
        completion = dict(
            base,
            object="chat.completion",
            choices=[{"index": 0, "message": message, "finish_reason": "stop"}],
        )
        if vendor.send_usage:
            completion["usage"] = usage
        handler._send_json(200, completion)
        return

    include_usage = vendor.send_usage and bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        payload = dict(base, object="chat.completion.chunk", choices=[choice])
        if include_usage:
            payload["usage"] = None
        return json.dumps(payload)

    events: list[tuple[str | None, str]] = [(None, chunk({"role": "assistant", "content": ""}))]
    events += [(None, chunk({"content": piece})) for piece in vendor.chunks(text)]
    finish = "stop"
    if vendor.tool_call is not None:
        name, arguments = vendor.tool_call
        start = {"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": ""}}
        events.append((None, chunk({"tool_calls": [start]})))
        for piece in vendor.chunks(arguments):
            events.append((None, chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})))
        finish = "tool_calls"
    events.append((None, chunk({}, finish)))
    if include_usage:
        payload = dict(base, object="chat.completion.chunk", choices=[], usage=usage)
        events.append((None, json.dumps(payload)))
    events.append((None, "[DONE]"))
    handler.send_events(events)


def anthropic_answer(handler: Any, vendor: MockVendor, body: dict[str, Any]) -> None:
    text = vendor.reply(body)
    message = {
        "id": "msg_mock",
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "stop_sequence": None,
    }

    tool_use = None
    if vendor.tool_call is not None:
        name, arguments = vendor.tool_call
        tool_use = {"type": "tool_use", "id": "toolu_mock", "name": name, "input": json.loads(arguments)}
    stop_reason = "end_turn" if tool_use is None else "tool_use"

    if not body.get("stream"):
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if tool_use is not None:
            content.append(tool_use)
        handler._send_json(
            200,
            dict(
                message,
                content=content,
                stop_reason=stop_reason,
                usage={"input_tokens": vendor.usage_input, "output_tokens": vendor.usage_output},
            ),
        )
        return

    start = dict(
        message,
        content=[],
        stop_reason=None,
        usage={"input_tokens": vendor.usage_input, "output_tokens": 1},
    )
    events: list[tuple[str | None, str]] = [
        ("message_start", json.dumps({"type": "message_start", "message": start})),
        (
            "content_block_start",
            json.dumps(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                }
            ),
        ),
        ("ping", json.dumps({"type": "ping"})),
    ]
    for piece in vendor.chunks(text):
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
        events.append(("content_block_delta", json.dumps(delta)))
    events.append(("content_block_stop", json.dumps({"type": "content_block_stop", "index": 0})))
    if tool_use is not None and vendor.tool_call is not None:
        block_start = {"type": "content_block_start", "index": 1, "content_block": dict(tool_use, input={})}
        events.append(("content_block_start", json.dumps(block_start)))
        for piece in vendor.chunks(vendor.tool_call[1]):
            fragment = {"type": "input_json_delta", "partial_json": piece}
            delta = {"type": "content_block_delta", "index": 1, "delta": fragment}
            events.append(("content_block_delta", json.dumps(delta)))
        events.append(("content_block_stop", json.dumps({"type": "content_block_stop", "index": 1})))
    events.append(
        (
            "message_delta",
            json.dumps(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": vendor.usage_output},
                }
            ),
        )
    )
    events.append(("message_stop", json.dumps({"type": "message_stop"})))
    handler.send_events(events)

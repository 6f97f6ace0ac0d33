"""The SDK scenarios of tests/sdk-scenarios/scenarios.json (the same for C#, JS and Python), run through this
SDK's public API with the sync client and the asyncio client against one server process. The vocabulary is
in tests/sdk-scenarios/README.md; results go to $TIMELY_TEST_OUTPUT/sdk-scenarios/python.jsonl."""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, symbol_database

from timely.conversations.v1 import conversation_service_pb2 as service
from conftest import serve
from timely_client import AsyncTimelyClient, TimelyClient, TimelyError

REPOSITORY = Path(__file__).resolve().parents[3]
SUITE = json.loads((REPOSITORY / "tests/sdk-scenarios/scenarios.json").read_text())
SCENARIOS = SUITE["scenarios"]
RUNNERS = ("python-sync", "python-asyncio")
METHODS = service.DESCRIPTOR.services_by_name["ConversationService"].methods_by_name

RESULTS = Path(os.environ["TIMELY_TEST_OUTPUT"], "sdk-scenarios", "python.jsonl") if os.environ.get("TIMELY_TEST_OUTPUT") else None
if RESULTS:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.unlink(missing_ok=True)


def as_json(message: Any) -> Any:
    return json_format.MessageToDict(message, including_default_value_fields=True)


class Stream:
    """A stream opened by an `open` step: its items so far (as proto JSON), how often its hook ran."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.items: list[Any] = []
        self.subscriptions = 0
        self.waited_subscriptions = 0
        self.read = 0
        self.error: BaseException | None = None
        self.stopped = False
        self.reading = threading.Event()  # cleared while paused: the reader takes no item from the SDK's stream
        self.reading.set()

    def subscribed(self) -> None:
        self.subscriptions += 1

    def add(self, item: Any) -> None:
        """Each item exactly once: a message stream's sequences follow each other, a watch's cursors never repeat."""
        if self.kind == "StreamMessages" and self.items and int(item["sequence"]) != int(self.items[-1]["sequence"]) + 1:
            self.error = self.error or AssertionError(f"sequence {item['sequence']} after {self.items[-1]['sequence']}")
        if self.kind == "WatchConversations" and any(i["cursor"] == item["cursor"] for i in self.items):
            self.error = self.error or AssertionError(f"cursor {item['cursor']} delivered twice")
        self.items.append(item)


class SyncSdk:
    """The sync client, its blocking calls made from a thread so that the scenario's loop goes on."""

    def __init__(self, server: Any) -> None:
        self.client = TimelyClient(server.target, server.api_key, max_reconnect_delay=0.5)

    async def call(self, name: str, request: Any, timeout: float | None) -> Any:
        method = getattr(self.client, name)
        return await asyncio.to_thread(lambda: method(request, **({"timeout": timeout} if timeout else {})))

    def open(self, stream: Stream, items: Any) -> None:
        def follow() -> None:
            try:
                for item in items:
                    stream.add(as_json(item))
                    stream.reading.wait()
            except BaseException as error:  # noqa: BLE001 (the scenario reports it)
                if not stream.stopped:
                    stream.error = stream.error or error

        threading.Thread(target=follow, daemon=True).start()

    async def close(self) -> None:
        self.client.close()   # ends the streams' calls


class AsyncSdk:
    def __init__(self, server: Any) -> None:
        self.client = AsyncTimelyClient(server.target, server.api_key, max_reconnect_delay=0.5)
        self.tasks: list[asyncio.Task[None]] = []

    async def call(self, name: str, request: Any, timeout: float | None) -> Any:
        method = getattr(self.client, name)
        return await (method(request, timeout=timeout) if timeout else method(request))

    def open(self, stream: Stream, items: Any) -> None:
        async def follow() -> None:
            try:
                async for item in items:
                    stream.add(as_json(item))
                    if not stream.reading.is_set():
                        await asyncio.to_thread(stream.reading.wait)
            except asyncio.CancelledError:
                raise
            except BaseException as error:  # noqa: BLE001 (the scenario reports it)
                stream.error = stream.error or error

        self.tasks.append(asyncio.ensure_future(follow()))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.client.close()


class Run:
    def __init__(self, server: Any, sdk: SyncSdk | AsyncSdk) -> None:
        self.server = server
        self.sdk = sdk
        self.vars: dict[str, Any] = {}
        self.streams: dict[str, Stream] = {}
        self.pending_start: asyncio.Future[None] | None = None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if not isinstance(value, str) or not value.startswith("$") or value == "$nonempty":
            return value
        if value == "$uuid":
            return str(uuid.uuid4())
        if value.startswith("$text:"):
            return "x" * int(value[len("$text:"):])
        name, *path = value[1:].split(".")
        assert name in self.vars, f"unknown reference {value}"
        return lookup(self.vars[name], path)

    def check(self, expect: dict[str, Any] | None, actual: Any) -> None:
        for path, wanted in (expect or {}).items():
            got = lookup(actual, path.split("."))
            if wanted == "$nonempty":
                assert canonical(got) not in ("", "[]"), f"{path} is empty"
            else:
                assert canonical(got) == canonical(self.resolve(wanted)), f"{path}: expected {canonical(self.resolve(wanted))}, got {canonical(got)}"

    async def steps(self, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            if "repeat" in step and "steps" in step:
                for i in range(1, step["repeat"] + 1):
                    self.vars["i"] = str(i)   # "$i", the iteration (1, 2, ...), as a string
                    await self.steps(step["steps"])
            elif "call" in step:
                await self.call(step)
            elif "server" in step:
                await self.server_action(step)
            elif "open" in step:
                await self.open(step)
            elif "subscribed" in step:
                await self.subscribed(self.streams[step["subscribed"]])
            elif "pause" in step:
                self.streams[step["pause"]].reading.clear()
            elif "unpause" in step:
                await asyncio.sleep(step.get("afterMs", 0) / 1000)
                self.streams[step["unpause"]].reading.set()
            elif "next" in step:
                await self.next(step)
            else:
                raise AssertionError(f"unknown step {step}")

    async def call(self, step: dict[str, Any]) -> None:
        method = METHODS[step["call"]]
        request = json_format.ParseDict(self.resolve(step.get("request", {})), symbol_database.Default().GetSymbol(method.input_type.full_name)())
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", step["call"]).lower()
        timeout = step["deadlineMs"] / 1000 if "deadlineMs" in step else None
        started = time.monotonic()
        responses: list[Any] = []
        error: TimelyError | None = None
        try:
            for _ in range(step.get("repeat", 1)):   # the same request object each time
                responses.append(as_json(await self.sdk.call(name, request, timeout)))
        except TimelyError as e:
            error = e
        elapsed_ms = (time.monotonic() - started) * 1000
        if "withinMs" in step:
            assert elapsed_ms <= step["withinMs"], f"{step['call']} took {elapsed_ms:.0f} ms, more than {step['withinMs']}"
        expected = step.get("error")
        if expected:
            assert error is not None, f"{step['call']} succeeded, expected {expected['status']}"
            assert error.code.name == expected["status"], str(error)
            if "reason" in expected:
                assert error.error_info is not None and error.error_info.reason == expected["reason"], str(error.error_info)
            if "field" in expected:
                assert expected["field"] in [v.field for v in error.field_violations], str(error.field_violations)
            return
        if error is not None:
            raise error
        for response in responses[1:]:
            assert response == responses[0], "a repeated request answered differently"
        if "as" in step:
            self.vars[step["as"]] = responses[0]
        self.check(step.get("expect"), responses[0])

    async def server_action(self, step: dict[str, Any]) -> None:
        if self.pending_start:
            await self.pending_start
            self.pending_start = None
        action = step["server"]
        if action == "kill":
            await asyncio.to_thread(self.server.kill)
        elif action == "terminate":
            await asyncio.to_thread(self.server.stop_gracefully)
        elif action == "start" and step.get("afterMs"):
            async def later() -> None:
                await asyncio.sleep(step["afterMs"] / 1000)
                await asyncio.to_thread(self.server.start)

            self.pending_start = asyncio.ensure_future(later())
        elif action == "start":
            await asyncio.to_thread(self.server.start)
        else:
            raise AssertionError(f"unknown server action {action}")

    async def open(self, step: dict[str, Any]) -> None:
        stream = Stream(step["open"])
        json_request = self.resolve(step.get("request", {}))
        client = self.sdk.client
        if stream.kind == "StreamMessages":
            request = json_format.ParseDict(json_request, service.StreamMessagesRequest())
            items = client.stream_messages(request.conversation_id, request.after_sequence, on_subscribed=stream.subscribed)
        else:
            assert stream.kind == "WatchConversations", stream.kind
            items = client.watch_conversations(json_format.ParseDict(json_request, service.WatchConversationsRequest()), on_subscribed=stream.subscribed)
        self.streams[step["as"]] = stream
        self.sdk.open(stream, items)
        await self.subscribed(stream)

    async def subscribed(self, stream: Stream) -> None:
        """Waits until the stream's `on_subscribed` hook ran again: it is live (again)."""
        await until(lambda: stream.subscriptions > stream.waited_subscriptions or stream.error is not None, "the stream to subscribe")
        if stream.error:
            raise stream.error
        stream.waited_subscriptions = stream.subscriptions

    async def next(self, step: dict[str, Any]) -> None:
        stream = self.streams[step["next"]]
        count = step["count"]
        await until(lambda: len(stream.items) >= stream.read + count or stream.error is not None, f"{count} items of {step['next']}")
        if stream.error:
            raise stream.error
        items = stream.items[stream.read:stream.read + count]
        stream.read += count
        self.check(step.get("expect"), {"items": items})

    async def end(self) -> None:
        """Ends the streams and leaves the server running for the next scenario, whatever happened."""
        for stream in self.streams.values():
            stream.stopped = True
            stream.reading.set()
        await self.sdk.close()
        if self.pending_start:
            await asyncio.gather(self.pending_start, return_exceptions=True)
        if self.server.process is None or self.server.process.poll() is not None:
            await asyncio.to_thread(self.server.start)


def lookup(value: Any, path: list[str]) -> Any:
    for segment in path:
        if isinstance(value, list):
            value = len(value) if segment == "length" else (value[int(segment)] if int(segment) < len(value) else None)
        elif isinstance(value, dict):
            value = value.get(segment)
        else:
            value = None
    return value


def canonical(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


async def until(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def run_scenario(server: Any, runner: str, scenario: dict[str, Any]) -> None:
    run = Run(server, SyncSdk(server) if runner == "python-sync" else AsyncSdk(server))
    run.vars.update({name: str(uuid.uuid4()) for name in scenario.get("ids", [])})
    try:
        await run.steps(scenario["steps"])
    finally:
        await run.end()


@pytest.fixture(scope="module")
def scenario_server():
    """The server of the scenarios, with the settings of scenarios.json; they kill and restart it one after the other."""
    yield from serve(SUITE.get("server"))


@pytest.mark.parametrize(
    "runner,scenario",
    [pytest.param(r, s, id=f"{r}: {s['name']}") for r in RUNNERS for s in SCENARIOS if r in s.get("only", RUNNERS)],
)
def test_scenario(scenario_server, runner, scenario):
    started = time.monotonic()
    failure: BaseException | None = None
    try:
        asyncio.run(asyncio.wait_for(run_scenario(scenario_server, runner, scenario), 300))
    except BaseException as error:
        failure = error
    if RESULTS:
        line = {"scenario": scenario["name"], "runner": runner, "pass": failure is None, "ms": round((time.monotonic() - started) * 1000)}
        if failure is not None:
            line["error"] = f"{type(failure).__name__}: {failure}"
        with RESULTS.open("a") as results:
            results.write(json.dumps(line) + "\n")
    if failure is not None:
        raise failure

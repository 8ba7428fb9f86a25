"""Evaluate the real Pulumi program (``__main__.py``) for one stack without the Pulumi CLI.

The program runs under Pulumi's mocks with its real config file. A ``Mocks`` object decides
what each resource's outputs are: ``FakeCloud`` returns realistic ARNs in the account of
the resource's provider (unit tests, offline preview); the local environment passes one
that creates the resource for real in the emulator. Every registration is recorded, so
callers can ask "all queues of upload-dev" instead of reaching into components.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml

from components.sdk_internals import MockMonitor, forget_previous_run, run_program
from local.provider_check import PROVIDER_TYPE, checked_inputs, provider_default_tags

REPO_ROOT = Path(__file__).resolve().parent.parent
PROGRAM = REPO_ROOT / "__main__.py"
PROJECT = "marketplace"
ORGANIZATION = "organization"


@dataclass
class Resource:
    """One registered resource: its type token, logical name, inputs and mocked outputs.

    ``parent`` is the URN of the component it belongs to (``None`` for the stack's own
    children): names repeat across components (a function and the stream source that owns it
    are both ``purchase-completion``), URNs do not.
    """

    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    provider: str | None
    parent: str | None
    custom: bool

    @property
    def account(self) -> str | None:
        """The account the resource lives in (from its outputs' ARN or its provider)."""
        return self.outputs.get("__account")


@dataclass
class Evaluation:
    """The outcome of evaluating one stack."""

    stack: str
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> Resource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r} in {self.stack}")
        return matches[0]


def load_config(config_file: Path) -> dict[str, Any]:
    """The ``config:`` map of a ``Pulumi.<env>.yaml`` file, values as Pulumi hands them over."""
    document = yaml.safe_load(config_file.read_text()) or {}
    values = document.get("config") or {}
    if not isinstance(values, Mapping):
        raise ValueError(f"{config_file}: 'config' must be a mapping")
    return dict(values)


def config_file_for(stack: str) -> Path:
    """``upload-dev`` -> ``Pulumi.dev.yaml`` (the environment's shared file)."""
    env = stack.rsplit("-", 1)[-1]
    return REPO_ROOT / f"Pulumi.{env}.yaml"


def _encode(value: Any) -> str:
    """Structured values reach the program as JSON text, scalars as text (as the CLI does)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every resource; ``outputs_for`` decides the outputs (subclasses override)."""

    def __init__(self) -> None:
        self.resources: list[Resource] = []
        self.provider_accounts: dict[str, str] = {}
        self.provider_default_tags: dict[str, dict[str, str]] = {}
        self._registration = threading.local()

    @contextmanager
    def registering(self, urn: str, parent: str | None) -> Iterator[None]:
        """What ``MockResourceArgs`` leaves out, for the ``new_resource`` call made meanwhile.

        The monitor calls ``new_resource`` synchronously on the thread that registers the
        resource, and several threads register at once: hence thread-local.
        """
        self._registration.current = (urn, parent)
        try:
            yield
        finally:
            self._registration.current = ("", None)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        account = self._account_for(args)
        if args.typ == PROVIDER_TYPE:
            self.provider_default_tags[args.name] = provider_default_tags(args.inputs)
        else:  # what the provider's Check would add (its default tags as tagsAll)
            default_tags = self.provider_default_tags.get(_provider_name(args.provider), {})
            args.inputs = checked_inputs(args.typ, args.inputs, default_tags)
        resource_id, outputs = self.outputs_for(args, account)
        if args.typ == PROVIDER_TYPE:
            self.provider_accounts[args.name] = account or ""
        urn, parent = getattr(self._registration, "current", ("", None))
        self.resources.append(
            Resource(
                urn=urn,
                type=args.typ,
                name=args.name,
                inputs=dict(args.inputs),
                outputs={**outputs, "__account": account},
                id=resource_id or "",
                provider=args.provider,
                parent=parent,
                custom=bool(args.custom),
            )
        )
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list | None]:
        raise NotImplementedError(f"the program made an unexpected call to {args.token}")

    def outputs_for(
        self, args: pulumi.runtime.MockResourceArgs, account: str | None
    ) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def _account_for(self, args: pulumi.runtime.MockResourceArgs) -> str | None:
        if args.typ == PROVIDER_TYPE:
            allowed = args.inputs.get("allowedAccountIds") or []
            if isinstance(allowed, str):  # provider inputs arrive JSON-encoded
                allowed = json.loads(allowed)
            return allowed[0] if allowed else None
        if not args.provider:
            return None
        return self.provider_accounts.get(_provider_name(args.provider))


def _provider_name(reference: str | None) -> str:
    """A provider reference (``<provider urn>::<provider id>``) to the provider's name."""
    if not reference:
        return ""
    return reference.split("::")[-2] if "::" in reference else reference


class _RecordingMonitor(MockMonitor):
    """Hands each resource's URN and parent URN to the mocks, which Pulumi's monitor drops."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        with self.recording.registering(urn, _component_parent(request.parent)):
            return super().RegisterResource(request)

    def ReadResource(self, request: Any) -> Any:
        """Read resources (stack references) get their URN too: a stack may read several."""
        urn = self.make_urn(request.parent, request.type, request.name)
        with self.recording.registering(urn, _component_parent(request.parent)):
            return super().ReadResource(request)


def _component_parent(parent_urn: str) -> str | None:
    """The parent's URN, or ``None`` when the parent is the stack itself (or absent)."""
    if "::" not in parent_urn:
        return None
    return None if parent_urn.split("::")[2].endswith("pulumi:pulumi:Stack") else parent_urn


class _LoopClosingExecutor(ThreadPoolExecutor):
    """The evaluation loop's executor: closes any event loop a call leaves on its thread.

    Pulumi runs each resource RPC in the loop's default executor, and its mock monitor gives
    the worker thread an event loop of its own (``_ensure_event_loop``) that nothing closes.
    Such a loop is garbage in a reference cycle; when the cyclic collector finalises its
    self-pipe socket before the loop, the loop's ``__del__`` fails with ``ValueError:
    Invalid file descriptor: -1`` ("Exception ignored in BaseEventLoop.__del__" at exit).
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(_closing_thread_loop, fn, *args, **kwargs)


def _closing_thread_loop(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    finally:
        _close_current_loop()


def _close_current_loop() -> None:
    """Close and unset the calling thread's event loop, if it has one (creates none)."""
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:  # no loop on this (worker) thread
        return
    if not loop.is_running():
        loop.close()
    asyncio.set_event_loop(None)


def evaluate(
    stack: str,
    mocks: RecordingMocks,
    config: Mapping[str, Any] | None = None,
    program: Path = PROGRAM,
    preview: bool = False,
) -> Evaluation:
    """Run ``program`` for ``stack`` under ``mocks``; raises whatever the program raises.

    Each evaluation gets its own event loop, closed afterwards with every loop its worker
    threads made: a program that failed leaves registrations pending, and they must not run
    (and fail again) inside the next one; and a loop left unclosed fails in its finaliser.
    """
    values = load_config(config_file_for(stack)) if config is None else config
    loop = asyncio.new_event_loop()
    loop.set_default_executor(_LoopClosingExecutor(thread_name_prefix="pulumi-rpc"))
    asyncio.set_event_loop(loop)
    try:
        return _evaluate(loop, stack, mocks, values, program, preview)
    finally:
        _close(loop)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is pending, join the RPC threads, close the loop and leave none set."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    asyncio.set_event_loop(None)


def _evaluate(
    loop: asyncio.AbstractEventLoop,
    stack: str,
    mocks: RecordingMocks,
    values: Mapping[str, Any],
    program: Path,
    preview: bool,
) -> Evaluation:
    forget_previous_run()
    monitor = _RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks,
        project=PROJECT,
        stack=stack,
        preview=preview,
        monitor=monitor,
        organization=ORGANIZATION,
    )
    pulumi.runtime.set_all_config({key: _encode(value) for key, value in values.items()})
    mocks.resources.clear()
    loop.run_until_complete(run_program(lambda: _run(program)))
    evaluation = Evaluation(stack=stack, resources=list(mocks.resources))
    root = pulumi.runtime.get_root_resource()
    exports = getattr(root, "outputs", {}) or {}
    resolved = loop.run_until_complete(pulumi.Output.from_input(exports).future())  # type: ignore[arg-type]
    evaluation.outputs = dict(resolved or {})
    return evaluation


def _run(program: Path) -> None:
    runpy.run_path(str(program), run_name="__main__")

"""Each Lambda function runs in its own worker process, as Lambda runs it in its own sandbox.

Why processes and not threads: a handler module reads its configuration from environment
variables and creates its boto3 clients at import, with whatever credentials the process
has. Giving every function its own process with *exactly* its recorded environment plus the
credentials of its own execution role means every AWS call a handler makes is authorized by
that role's least-privilege policy (IAM is enforced in the emulator), a handler that reaches
into another service's table fails here as it would in AWS (the table does not exist in its
account), and two functions never share module state.

Protocol: JSON lines. The child prints one ``{"ready": true}`` (or an init error) once its
handler is imported, then answers each request line ``{"event", "context"}`` with exactly one
response line ``{"ok": true, "result"}`` or ``{"ok": false, "errorType", "errorMessage",
"stackTrace"}``. Handler output (Powertools logs, metrics) goes to the child's stderr, which
the parent writes to ``.local/logs/<function>.log``, so it can never corrupt the protocol.

Run a worker by hand: ``python -m local.runtime.workers services.catalog.api.lambda_handler``.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from local.program import REPO_ROOT
from local.runtime.invocation_log import INVOCATIONS_FILE, InvocationLog

EXITED = ""
"""What the reader hands over when the worker's stdout closes (the process ended)."""
INIT_TIMEOUT_SECONDS = 180.0
"""How long a worker may take to import its handler (Pillow, boto3, Powertools).

Every worker of every stack starts at once: on a busy two-core machine imports took 2-4 s
each and a minute was not enough for all of them; a healthy start takes a few seconds."""


@dataclass(frozen=True)
class FunctionSpec:
    """What the runtime needs to run one recorded ``aws:lambda/function:Function``."""

    name: str
    handler: str
    account: str
    environment: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float = 10.0
    memory_mb: int = 512
    arn: str = ""
    role_arn: str = ""
    """The execution role: the worker runs with its credentials, so IAM judges every call."""
    version: str = "$LATEST"
    """The published version these workers run (invocations come through the alias)."""


@dataclass(frozen=True)
class Invocation:
    """One invocation's outcome: the handler's return value, or the error Lambda would report."""

    ok: bool
    result: Any = None
    error_type: str = ""
    error_message: str = ""
    stack_trace: list[str] = field(default_factory=list)
    duration_ms: float = 0.0

    def describe(self) -> str:
        return "ok" if self.ok else f"{self.error_type}: {self.error_message}"


def worker_environment(
    spec: FunctionSpec,
    credentials: Mapping[str, str],
    endpoint: str,
    region: str,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment of the function's process: nothing inherited from ours.

    The recorded variables (with local overrides such as CDN domains), the service account's
    STS credentials, the emulator endpoint and region, the variables Lambda itself sets, and
    just enough for Python to find the repository. Host AWS config files are blanked so
    nothing on the developer's machine leaks in.
    """
    return {
        **{key: str(value) for key, value in spec.environment.items()},
        **dict(overrides or {}),
        "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": credentials.get("aws_session_token", ""),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "_HANDLER": spec.handler,
        "POWERTOOLS_TRACE_DISABLED": "1",
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }


class WorkerError(RuntimeError):
    """The worker process could not be started or died during initialisation."""


class Worker:
    """One child process running one function; one invocation at a time (a lock)."""

    def __init__(self, spec: FunctionSpec, env: Mapping[str, str], log_path: Path | None = None):
        self.spec = spec
        self._env = dict(env)
        self._log_path = log_path
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str] = queue.Queue()
        self._log: IO[str] | None = None
        self.restarts = -1

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the process and wait until its handler is imported; raises ``WorkerError``."""
        with self._lock:
            self._ensure_started()

    def stop(self) -> None:
        with self._lock:
            self._kill()
            if self._log:
                self._log.close()
                self._log = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _ensure_started(self) -> None:
        if self.alive:
            return
        self._kill()
        self.restarts += 1
        if self._log is None:
            self._log = self._open_log()
        self._lines = queue.Queue()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.runtime.workers", self.spec.handler],
            cwd=str(REPO_ROOT),
            env=self._env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log or subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        threading.Thread(
            target=_pump, args=(self._process.stdout, self._lines), daemon=True
        ).start()
        ready = self._read(INIT_TIMEOUT_SECONDS)
        message = json.loads(ready) if ready else None
        if not message or not message.get("ready"):
            self._kill()
            detail = (message or {}).get("errorMessage", "the process exited during init")
            raise WorkerError(f"{self.spec.name}: {detail} (log: {self._log_path})")

    def _open_log(self) -> IO[str] | None:
        if self._log_path is None:
            return None
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        return self._log_path.open("a", buffering=1)

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()

    # -- invocation ------------------------------------------------------------------------

    def invoke(self, event: Any, request_id: str | None = None) -> Invocation:
        """Run the handler once; a crash or a timeout is an error result, then a restart."""
        with self._lock:
            started = time.monotonic()
            try:
                self._ensure_started()
            except WorkerError as error:
                return Invocation(False, error_type="Runtime.InitError", error_message=str(error))
            request_id = request_id or str(uuid.uuid4())
            deadline = time.time() + self.spec.timeout_seconds
            request = {
                "event": event,
                "context": {"request_id": request_id, "deadline": deadline, "arn": self.spec.arn},
            }
            assert self._process is not None and self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps(request, default=str) + "\n")
                self._process.stdin.flush()
            except (BrokenPipeError, OSError):
                self._kill()
                return _failure("Runtime.ExitError", "the worker process died", started)
            line = self._read(self.spec.timeout_seconds + 1.0)
            if not line:
                self._kill()
                if line is None:
                    message = f"Task timed out after {self.spec.timeout_seconds:.2f} seconds"
                    return _failure("Sandbox.Timedout", message, started)
                return _failure("Runtime.ExitError", "the worker process exited", started)
            response = json.loads(line)
            elapsed = (time.monotonic() - started) * 1000
            if response.get("ok"):
                return Invocation(True, result=response.get("result"), duration_ms=elapsed)
            return Invocation(
                False,
                error_type=response.get("errorType", "Error"),
                error_message=response.get("errorMessage", ""),
                stack_trace=response.get("stackTrace", []),
                duration_ms=elapsed,
            )

    def _read(self, timeout: float) -> str | None:
        """The next protocol line; ``""`` when the process has exited, None on timeout."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None


def _failure(error_type: str, message: str, started: float) -> Invocation:
    elapsed = (time.monotonic() - started) * 1000
    return Invocation(False, error_type=error_type, error_message=message, duration_ms=elapsed)


def _pump(stream: IO[str] | None, lines: queue.Queue[str]) -> None:
    """Move the child's protocol lines into a queue so reads can time out."""
    if stream is None:
        return
    try:
        for line in stream:
            if line.strip():
                lines.put(line)
    except (ValueError, OSError):  # closed while reading: the worker was stopped
        pass
    lines.put(EXITED)


class FunctionRuntime:
    """A function with up to ``concurrency`` warm workers, as Lambda scales a function out."""

    def __init__(
        self,
        spec: FunctionSpec,
        env: Mapping[str, str],
        log_dir: Path | None = None,
        concurrency: int = 1,
    ):
        self.spec = spec
        log_path = log_dir / f"{spec.name}.log" if log_dir else None
        self.workers = [Worker(spec, env, log_path) for _ in range(max(1, concurrency))]
        self._idle: queue.Queue[Worker] = queue.Queue()
        for worker in self.workers:
            self._idle.put(worker)
        self.invocations = itertools.count()
        self.log = InvocationLog(log_dir / INVOCATIONS_FILE) if log_dir else None
        """Every outcome, for ``python -m local status`` (local/status.py)."""

    def start(self) -> None:
        """Warm every worker (imports happen now, not on the first request)."""
        errors: list[Exception] = []
        threads = [threading.Thread(target=_start_into, args=(w, errors)) for w in self.workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def invoke(self, event: Any, request_id: str | None = None) -> Invocation:
        """Run on the first idle worker (waits while all are busy, like reserved concurrency)."""
        worker = self._idle.get()
        request_id = request_id or str(uuid.uuid4())
        try:
            next(self.invocations)
            outcome = worker.invoke(event, request_id)
        finally:
            self._idle.put(worker)
        if self.log is not None:
            error = "" if outcome.ok else outcome.describe()
            self.log.record(self.spec.name, outcome.ok, outcome.duration_ms, request_id, error)
        return outcome


def _start_into(worker: Worker, errors: list[Exception]) -> None:
    try:
        worker.start()
    except WorkerError as error:
        errors.append(error)


# -- the child side ------------------------------------------------------------------------


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = request.get("arn") or f"arn:aws:lambda:::{self.function_name}"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
        self.aws_request_id = request.get("request_id") or str(uuid.uuid4())
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = f"local/{os.getpid()}"
        self._deadline = float(request.get("deadline") or time.time() + 900)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def load_handler(path: str) -> Callable[[Any, Any], Any]:
    """``services.catalog.api.lambda_handler`` -> the function object."""
    module_name, _, attribute = path.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {path!r} must be <module>.<function>")
    return getattr(importlib.import_module(module_name), attribute)


def serve(handler_path: str, requests: IO[str], responses: IO[str]) -> None:
    """The child's loop: import, say ready, then one response line per request line."""
    try:
        handler = load_handler(handler_path)
    except Exception as error:  # reported to the parent as Lambda's init error
        traceback.print_exc()
        _send(responses, {"ready": False, "errorMessage": f"{type(error).__name__}: {error}"})
        return
    _send(responses, {"ready": True})
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            result = handler(request["event"], LambdaContext(request.get("context") or {}))
            json.dumps(result)
            _send(responses, {"ok": True, "result": result})
        except Exception as error:  # a handler error is a response, as in Lambda
            traceback.print_exc()
            _send(
                responses,
                {
                    "ok": False,
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exception(error)[-5:],
                },
            )


def _send(stream: IO[str], message: Mapping[str, Any]) -> None:
    stream.write(json.dumps(message, default=str) + "\n")
    stream.flush()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m local.runtime.workers <module.function>", file=sys.stderr)
        return 2
    # The protocol gets a private copy of stdout; fd 1 (print, Powertools logs) -> stderr.
    responses = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(argv[0], sys.stdin, responses)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

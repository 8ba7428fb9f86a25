"""The local runtime: what serves a deployed graph instead of Lambda, API Gateway and CloudFront.

``Runtime`` reads the graph the deployer wrote (``.local/graph.json``) and starts the CDN, one
worker pool per function, one HTTP server per API, one poller per event source mapping and
the cross-account SNS relay (``environment.LocalEnvironment`` brings the emulator, the
deployment and this up together). Handler logs go to ``.local/logs/<function>.log``, runtime
events (requests, failures, retries) to ``.local/logs/runtime.log``. Fault injection (off
unless ``MARKETPLACE_FAULTS`` or ``faults=`` asks for it; ``runtime.faults`` toggles it at run
time) is described in faults.py.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from components import aws_types
from local.emulator.lambda_reads import LambdaReads
from local.graph import Graph
from local.runtime.aliases import AliasedFunction, FunctionArn
from local.runtime.auth import JwtVerifier, fetch_jwks
from local.runtime.cdn import CdnOrigin, CdnServer, Distribution
from local.runtime.faults import ENV_VAR as FAULTS_ENV_VAR
from local.runtime.faults import FaultPlan, Faults
from local.runtime.http_api import ApiGateway, ApiIdentity, Cors, HttpApiServer, RouteSpec
from local.runtime.pollers import MappingSpec
from local.runtime.ports import PortPlan
from local.runtime.process import STATE_DIR
from local.runtime.sqs_poller import SqsPoller
from local.runtime.stream_poller import StreamPoller
from local.runtime.workers import FunctionRuntime, FunctionSpec, worker_environment

MAX_WORKERS_PER_FUNCTION = 2
"""Lambda would scale out to the mapping's maximum concurrency; two cores are what we have."""

T_FUNCTION = aws_types.FUNCTION
T_ALIAS = aws_types.FUNCTION_ALIAS
T_MAPPING = aws_types.EVENT_SOURCE_MAPPING
T_API = aws_types.HTTP_API
T_ROUTE = aws_types.HTTP_API_ROUTE
T_INTEGRATION = aws_types.HTTP_API_INTEGRATION
T_AUTHORIZER = aws_types.HTTP_API_AUTHORIZER
T_DISTRIBUTION = aws_types.DISTRIBUTION
T_KEY_GROUP = aws_types.KEY_GROUP
T_PUBLIC_KEY = aws_types.PUBLIC_KEY
T_BUCKET = aws_types.BUCKET


class RuntimeLog:
    """Timestamped lines to ``runtime.log`` (and to ``echo`` when given, e.g. ``up -v``)."""

    def __init__(self, path: Path | None, echo: Callable[[str], None] | None = None):
        self._path = path
        self._echo = echo
        self._lock = threading.Lock()
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self, line: str) -> None:
        stamped = f"{datetime.now(UTC).strftime('%H:%M:%S.%f')[:-3]} {line}"
        with self._lock:
            if self._path:
                with self._path.open("a") as log:
                    log.write(stamped + "\n")
            if self._echo:
                self._echo(stamped)


def _resource_id(resource: Mapping[str, Any]) -> str:
    return str(resource.get("id") or resource.get("outputs", {}).get("id") or "")


def _all(graph: Graph, type_token: str) -> list[tuple[str, dict[str, Any]]]:
    return [(stack, r) for stack in graph.stacks for r in graph.of_type(stack, type_token)]


def function_specs(graph: Graph) -> dict[str, FunctionSpec]:
    """Every recorded function by name (its ARN's last part)."""
    specs = {}
    for _, resource in _all(graph, T_FUNCTION):
        inputs, outputs = resource["inputs"], resource["outputs"]
        name = inputs.get("name") or outputs.get("name") or resource["name"]
        specs[name] = FunctionSpec(
            name=name,
            handler=inputs["handler"],
            account=resource["account"],
            environment=dict((inputs.get("environment") or {}).get("variables") or {}),
            timeout_seconds=float(inputs.get("timeout") or 3),
            memory_mb=int(inputs.get("memorySize") or 128),
            arn=outputs.get("arn", ""),
            role_arn=str(inputs.get("role") or ""),
            version=str(outputs.get("version") or "$LATEST"),
        )
    return specs


def distributions(graph: Graph) -> list[Distribution]:
    """The recorded CloudFront distributions with their bucket and trusted public keys."""
    buckets = {
        r["outputs"].get("bucketRegionalDomainName"): r["outputs"].get("bucket") or _resource_id(r)
        for _, r in _all(graph, T_BUCKET)
    }
    keys = {
        _resource_id(r): r["inputs"].get("encodedKey", "") for _, r in _all(graph, T_PUBLIC_KEY)
    }
    groups = {_resource_id(r): r["inputs"].get("items") or [] for _, r in _all(graph, T_KEY_GROUP)}
    result = []
    for _, resource in _all(graph, T_DISTRIBUTION):
        inputs = resource["inputs"]
        origin = (inputs.get("origins") or [{}])[0]
        trusted = (inputs.get("defaultCacheBehavior") or {}).get("trustedKeyGroups") or []
        public_keys = {key: keys[key] for group in trusted for key in groups.get(group, [])}
        comment = inputs.get("comment") or resource["name"]
        result.append(
            Distribution(
                mount=comment.rsplit("-", 1)[-1],
                bucket=buckets.get(origin.get("domainName"), ""),
                domain_name=resource["outputs"].get("domainName", ""),
                public_keys=public_keys,
                account=resource["account"],
            )
        )
    return result


@dataclass
class ApiEndpoint:
    stack: str
    name: str
    server: HttpApiServer
    routes: list[str] = field(default_factory=list)
    authenticated: bool = False

    @property
    def url(self) -> str:
        return self.server.url


class Runtime:
    """Everything that runs the recorded graph: CDN, functions, APIs, pollers, relay."""

    def __init__(
        self,
        graph: Graph,
        log_dir: Path | None = STATE_DIR / "logs",
        progress: Callable[[str], None] = print,
        echo: Callable[[str], None] | None = None,
        workers_per_function: int = MAX_WORKERS_PER_FUNCTION,
        faults: FaultPlan | str | None = None,
        ports: PortPlan | None = None,
    ):
        self.graph = graph
        self.ports = ports or PortPlan()
        """Free ports unless the plan has a base (``up --port-base``)."""
        self.log_dir = log_dir
        self.progress = progress
        self.log = RuntimeLog(log_dir / "runtime.log" if log_dir else None, echo)
        self.workers_per_function = workers_per_function
        self.faults = Faults(log=self.log)
        """The fault switch (faults.py): off unless ``faults`` or ``MARKETPLACE_FAULTS`` says."""
        initial = faults if faults is not None else os.environ.get(FAULTS_ENV_VAR, "")
        self._initial_faults = FaultPlan.parse(initial) if isinstance(initial, str) else initial
        self.functions: dict[str, FunctionRuntime] = {}
        """Each function's deployed version (what ``pulumi up`` published), by name."""
        self.aliases: dict[str, AliasedFunction] = {}
        """Each function's ``live`` alias, by function name: what every caller invokes."""
        self.apis: dict[str, ApiEndpoint] = {}
        self.pollers: list[SqsPoller | StreamPoller] = []
        self.cdn: CdnServer | None = None
        self._relay: Any = None

    # -- clients -------------------------------------------------------------------------

    def client(self, service: str, account: str) -> Any:
        return self.graph.client(service, account)

    # -- start / stop ----------------------------------------------------------------------

    def start(self) -> Runtime:
        started = time.monotonic()
        try:
            self.cdn = self._start_cdn()
            self.functions = self._start_functions()
            self.aliases = self._start_aliases()
            self.apis = self._start_apis()
            self.pollers = self._start_pollers()
            self.faults.attach(self.pollers, self.functions)
            self._relay = self._start_relay()
            if self._initial_faults.active:
                plan = self.faults.set(self._initial_faults)
                self.progress(f"FAULT INJECTION ON: {plan.describe()} (local/runtime/faults.py)")
        except BaseException:
            self.stop()  # nothing half-started outlives a failed start
            raise
        self.progress(f"runtime ready in {time.monotonic() - started:.1f}s")
        return self

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        if self._relay is not None:
            _call(self._relay, "stop")
        for poller in self.pollers:
            poller.join(timeout=5)
        for api in self.apis.values():
            api.server.stop()
        if self.cdn:
            self.cdn.stop()
        for name, aliased in self.aliases.items():
            aliased.stop_versions(keep=self.functions[name].spec.version)
        for function in self.functions.values():
            function.stop()

    def _start_cdn(self) -> CdnServer | None:
        found = distributions(self.graph)
        if not found:
            return None
        # Each distribution reads its bucket as its origin access control would: in its account.
        clients = {d.mount: self.client("s3", d.account) for d in found}
        origin = CdnOrigin({d.mount: d for d in found}, clients, log=self.log)
        cdn = CdnServer(origin, port=self.ports.port("cdn")).start()
        for mount in origin.distributions:
            self.progress(f"CDN /{mount:<9} {cdn.url_base(mount)}")
        return cdn

    def environment_overrides(self, spec: FunctionSpec) -> dict[str, str]:
        """Variables holding a recorded CDN domain now point at the local CDN (cdn.py)."""
        domains = self.cdn.domain_overrides() if self.cdn else {}
        return {key: domains[value] for key, value in spec.environment.items() if value in domains}

    def _function_runtime(self, spec: FunctionSpec, concurrency: int) -> FunctionRuntime:
        """Workers for ``spec`` running as its role, with the emulator's endpoint."""
        env = worker_environment(
            spec,
            self.graph.role_credentials[spec.role_arn],
            self.graph.endpoint,
            self.graph.region,
            self.environment_overrides(spec),
        )
        return FunctionRuntime(spec, env, self.log_dir, concurrency=concurrency)

    def _start_functions(self) -> dict[str, FunctionRuntime]:
        specs = function_specs(self.graph)
        concurrency = self._mapping_concurrency()
        functions = {}
        for name, spec in specs.items():
            workers = min(self.workers_per_function, concurrency.get(name, 1))
            functions[name] = self._function_runtime(spec, workers)
        total = sum(len(f.workers) for f in functions.values())
        self.progress(f"starting {len(functions)} functions ({total} worker processes) ...")
        started = time.monotonic()
        errors: list[BaseException] = []

        def warm(function: FunctionRuntime) -> None:
            try:
                function.start()
            except Exception as error:
                errors.append(error)

        threads = [threading.Thread(target=warm, args=(f,)) for f in functions.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            for function in functions.values():
                function.stop()
            raise errors[0]
        self.progress(f"functions warm in {time.monotonic() - started:.1f}s")
        return functions

    def _mapping_concurrency(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for _, resource in _all(self.graph, T_MAPPING):
            spec = MappingSpec.from_inputs(resource["name"], resource["inputs"])
            result[spec.function_name] = max(result.get(spec.function_name, 1), spec.concurrency)
        return result

    def _start_aliases(self) -> dict[str, AliasedFunction]:
        """One ``AliasedFunction`` per alias: its deployed version's workers are already up."""
        aliases = {}
        for _, alias in _all(self.graph, T_ALIAS):
            inputs = alias["inputs"]
            name = str(inputs["functionName"])
            deployed = self.functions[name]
            aliases[name] = AliasedFunction(
                name,
                str(inputs["name"]),
                LambdaReads(alias["account"], self.graph.region),
                {deployed.spec.version: deployed},
                functools.partial(self._start_version, name),
            )
        return aliases

    def _start_version(self, name: str, version: str) -> FunctionRuntime:
        """Workers for a version published after the deployment (a shift's new version),
        from the configuration the emulator keeps for that version."""
        deployed = self.functions[name].spec
        config = LambdaReads(deployed.account, self.graph.region).get_function_configuration(
            FunctionName=name, Qualifier=version
        )
        spec = FunctionSpec(
            name=name,
            handler=config["Handler"],
            account=deployed.account,
            environment=dict((config.get("Environment") or {}).get("Variables") or {}),
            timeout_seconds=float(config.get("Timeout") or deployed.timeout_seconds),
            memory_mb=int(config.get("MemorySize") or deployed.memory_mb),
            arn=deployed.arn,
            role_arn=str(config.get("Role") or deployed.role_arn),
            version=version,
        )
        runtime = self._function_runtime(spec, 1)
        runtime.start()
        self.log(f"{name}: version {version} started ({spec.handler})")
        return runtime

    def _function_for_arn(self, arn: str) -> FunctionRuntime | AliasedFunction:
        """What an integration or mapping invokes: the alias it names (``$LATEST``, the
        deployed version here, when it names none, as Lambda runs unqualified calls)."""
        target = FunctionArn.of(arn)
        if target.name not in self.functions:
            raise KeyError(f"no deployed function {target.name!r} (from {arn})")
        aliased = self.aliases.get(target.name)
        if target.qualifier is None:
            return self.functions[target.name]
        if aliased is None or aliased.alias != target.qualifier:
            raise KeyError(f"{arn}: the function has no alias {target.qualifier!r}")
        return aliased

    def _start_apis(self) -> dict[str, ApiEndpoint]:
        apis = {}
        for stack, api in _all(self.graph, T_API):
            api_id = _resource_id(api)
            children = [
                r for r in self.graph.resources(stack) if r["inputs"].get("apiId") == api_id
            ]
            integrations = {
                _resource_id(r): r["inputs"]["integrationUri"]
                for r in children
                if r["type"] == T_INTEGRATION
            }
            authorizers = {
                _resource_id(r): self._verifier(r) for r in children if r["type"] == T_AUTHORIZER
            }
            routes = []
            for route in (r for r in children if r["type"] == T_ROUTE):
                inputs = route["inputs"]
                target = str(inputs.get("target", "")).removeprefix("integrations/")
                uri = integrations.get(target) or (
                    next(iter(integrations.values())) if len(integrations) == 1 else None
                )
                if uri is None:
                    raise KeyError(f"{stack}: route {inputs['routeKey']} has no integration")
                authorizer = None
                if inputs.get("authorizationType") == "JWT":
                    authorizer = authorizers[inputs["authorizerId"]]
                routes.append(
                    RouteSpec(inputs["routeKey"], self._function_for_arn(uri), authorizer)
                )
            identity = ApiIdentity(api_id=api_id, account=api["account"])
            service = stack.rsplit("-", 1)[0]
            cors = Cors.from_inputs(api["inputs"].get("corsConfiguration"))
            gateway = ApiGateway(identity, routes, log=self.log, cors=cors)
            server = HttpApiServer(gateway, port=self.ports.api(service)).start()
            apis[service] = ApiEndpoint(
                stack,
                api["inputs"].get("name", api["name"]),
                server,
                [r.key for r in routes],
                any(r.authorizer for r in routes),
            )
            self.progress(f"API {service:<9} {server.url}  ({len(routes)} routes)")
        return apis

    def _verifier(self, authorizer: Mapping[str, Any]) -> JwtVerifier:
        config = authorizer["inputs"].get("jwtConfiguration") or {}
        issuer = config["issuer"]
        jwks_url = self.graph.identity.get("jwks_url")
        if not jwks_url or not issuer.endswith(self.graph.identity.get("user_pool_id", "\0")):
            pool = issuer.rstrip("/").rsplit("/", 1)[-1]
            jwks_url = f"{self.graph.endpoint}/{pool}/.well-known/jwks.json"
        return JwtVerifier(issuer, config.get("audiences") or [], lambda: fetch_jwks(jwks_url))

    def _start_pollers(self) -> list[SqsPoller | StreamPoller]:
        pollers: list[SqsPoller | StreamPoller] = []
        for _, resource in _all(self.graph, T_MAPPING):
            spec = MappingSpec.from_inputs(resource["name"], resource["inputs"])
            function = self._function_for_arn(str(resource["inputs"]["functionName"]))
            account = resource["account"]
            spec.concurrency = min(spec.concurrency, len(function.workers))
            poller: SqsPoller | StreamPoller
            if spec.source_arn.startswith("arn:aws:sqs:"):
                sqs = self.client("sqs", account)
                queue_url = sqs.get_queue_url(QueueName=spec.source_arn.rsplit(":", 1)[-1])[
                    "QueueUrl"
                ]
                poller = SqsPoller(
                    spec, queue_url, sqs, function, self.graph.region, self.log, self.faults
                )
            elif ":dynamodb:" in spec.source_arn and "/stream/" in spec.source_arn:
                poller = StreamPoller(
                    spec,
                    self.client("dynamodbstreams", account),
                    function,
                    self.graph.region,
                    sqs=self.client("sqs", account),
                    log=self.log,
                    faults=self.faults,
                )
            else:
                raise ValueError(f"{resource['name']}: unsupported event source {spec.source_arn}")
            poller.start()
            pollers.append(poller)
        self.progress(f"started {len(pollers)} event source mappings")
        return pollers

    def _start_relay(self) -> Any:
        """moto 5.2 drops cross-account SNS->SQS; the one workaround module relays it."""
        from local.emulator.cross_account import CrossAccountDelivery

        relay = CrossAccountDelivery(self.graph).start()
        self.progress(f"relaying {len(relay.subscriptions)} cross-account subscriptions")
        return relay


def _call(target: Any, method: str) -> None:
    function = getattr(target, method, None)
    if callable(function):
        function()

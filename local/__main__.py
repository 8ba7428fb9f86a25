"""The local environment's one entry point: ``python -m local <command>`` (``./dev <command>``)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from local.endpoints import ENDPOINTS_FILE
from local.users import DEFAULT_PASSWORD, DEFAULT_USER

REPO_GRAPH = Path(__file__).resolve().parent.parent / ".local" / "graph.json"


def preview(args: argparse.Namespace) -> int:
    from local.preview import evaluate_for_preview, render_tree, summary

    try:
        evaluation = evaluate_for_preview(args.stack)
    except Exception as error:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {args.stack}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    for line in render_tree(evaluation):
        print(line)
    print()
    for line in summary(evaluation):
        print(line)
    return 0


def up(args: argparse.Namespace) -> int:
    from local.runtime.environment import LocalEnvironment
    from local.runtime.ports import PortPlan
    from local.runtime.process import write_pid_file
    from local.runtime.serving import PortInUse

    echo = print if args.verbose else None
    try:
        ports = PortPlan.for_catalogue(args.port_base)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Ctrl-C and `down` (SIGTERM) both stop cleanly, even when started in the background.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"deploying every stack of {args.env!r} into the embedded emulator ...", flush=True)
    environment = LocalEnvironment(env=args.env, progress=_progress, echo=echo, ports=ports)
    try:
        environment.start()
    except PortInUse as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        write_pid_file()
        for line in ready_banner(environment):
            print(line)
        print("serving until Ctrl-C (logs: .local/logs/) ...", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    finally:
        environment.stop()
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def ready_banner(environment: Any) -> list[str]:
    """The web app's URL, each API's URL and a curl that works as pasted (a fresh user's
    token)."""
    user = environment.user(DEFAULT_USER)
    lines = [f"ready in {environment.ready_seconds:.1f}s", ""]
    if environment.web is not None:
        lines += [
            f"Open the marketplace: {environment.web.url}",
            "  (any new name signs up; for the admin panel run `./dev token NAME --admin` once,",
            f"   then sign in as NAME with password {DEFAULT_PASSWORD!r})",
            "",
        ]
    for service, api in environment.runtime.apis.items():
        lines.append(f"{service:<9} {api.url}   {', '.join(api.routes)}")
    if environment.ports.fixed:
        lines += ["", f"fixed ports: {environment.ports.describe()}"]
    lines += [
        "",
        f"endpoints for scripts and front ends: {environment.endpoints_file}",
        "  (API, CDN and Cognito URLs, user pool and client id, region; removed on exit)",
        "",
        f"Try it (a fresh user's token; user {DEFAULT_USER!r}, password {DEFAULT_PASSWORD!r}):",
        f"  export TOKEN='{user['id_token']}'",
    ]
    catalog = environment.runtime.apis.get("catalog")
    if catalog:
        lines.append(f"  curl -s {catalog.url}/images")
    for api in environment.runtime.apis.values():
        if api.authenticated:
            path = "/" + api.routes[0].split(" /", 1)[1].split("/")[0]
            lines.append(f'  curl -s -H "Authorization: Bearer $TOKEN" {api.url}{path}')
    upload = environment.runtime.apis.get("upload")
    if upload:
        body = (
            '{"title":"Dunes","tags":["desert"],"priceCents":900,"currency":"EUR",'
            '"contentType":"image/jpeg","sizeBytes":2000000}'
        )
        lines.append(
            f'  curl -s -X POST -H "Authorization: Bearer $TOKEN" '
            f"-H 'content-type: application/json' -d '{body}' {upload.url}/uploads"
        )
    lines.append("Another user (signed up if new), from any terminal while this runs:")
    lines.append("  export TOKEN2=$(./dev token alice)   # --password P; default as above")
    return lines


def token(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from local.endpoints import EndpointsUnavailable, load
    from local.users import admin_group, attach, recorded_grant, sign_in_user

    try:
        endpoints = load(Path(args.endpoints))
        graph = Path(args.endpoints).parent / "graph.json"
        group = recorded_grant(endpoints, graph, admin_group()) if args.admin else None
        tokens = sign_in_user(attach(endpoints), args.username, args.password, group)
    except EndpointsUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ClientError as error:  # Cognito's refusal: wrong password, invalid user name, ...
        reason = error.response.get("Error", {})
        print(
            f"error: {args.username}: {reason.get('Code')}: {reason.get('Message')}",
            file=sys.stderr,
        )
        return 1
    except BotoCoreError as error:  # nothing listens: the endpoints file outlived its `up`
        print(f"error: {error} (is `./dev up` running? read {args.endpoints})", file=sys.stderr)
        return 1
    print(tokens["id_token"])
    return 0


def demo(args: argparse.Namespace) -> int:
    from local.demo.run import run_demo

    return run_demo(out=_progress)


def graph(args: argparse.Namespace) -> int:
    from local.graph_diagram import build_diagram, load_resources, render_images, to_dot, to_mermaid

    stacks, accounts = load_resources(args.env)
    diagram = build_diagram(stacks, accounts)
    mermaid = to_mermaid(diagram)
    if not args.output:
        print(mermaid, end="")
        return 0
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "architecture.mmd").write_text(mermaid)
    dot_source = to_dot(diagram)
    (output / "architecture.dot").write_text(dot_source)
    written = [output / "architecture.mmd", output / "architecture.dot"]
    images = render_images(dot_source, output)
    written += images
    for path in written:
        print(f"wrote {path}")
    if not images:
        print("(Graphviz `dot` not found: no SVG/PNG; the Mermaid file renders on GitHub)")
    return 0


def down(args: argparse.Namespace) -> int:
    from local.runtime.process import PID_FILE, STATE_DIR, clean_state, stop_recorded_process

    pid = stop_recorded_process(PID_FILE)
    if pid:
        print(f"stopped the running `up` (pid {pid})")
    if clean_state(STATE_DIR):
        print(f"removed {STATE_DIR} (graph and logs)")
    else:
        print("nothing to clean up")
    return 0


def _running_graph(path: str) -> Any:
    """The running environment's graph (``local.graph.Graph``), or None having said why."""
    from local.graph import Graph

    graph_path = Path(path)
    if not graph_path.exists():
        print(f"error: no {graph_path}: start the environment first (`python -m local up`)")
        return None
    return Graph.load(graph_path)


def redrive(args: argparse.Namespace) -> int:
    from local.redrive import dead_letter_queues, redrive, report, select

    graph = _running_graph(args.graph)
    if graph is None:
        return 1
    queues = dead_letter_queues(graph)
    try:
        chosen = queues if args.all else select(queues, args.queue) if args.queue else []
        if not chosen:
            for line in report(graph, queues):
                print(line)
            print("\nmove messages back with --queue NAME or --all")
            return 0
        for queue in chosen:
            if not queue.redrivable:
                print(f"{queue.name}: stream failure records, not redriven (docs/reliability.md)")
                continue
            moved = redrive(graph, queue)
            print(f"{queue.name}: moved {moved} message(s) back to {queue.source_name}")
    except KeyError as error:
        print(f"error: {error.args[0]}")
        return 1
    except Exception as error:  # botocore's connection errors: nothing is listening
        print(f"error: {type(error).__name__}: {error} (is `python -m local up` running?)")
        return 1
    return 0


def status(args: argparse.Namespace) -> int:
    from local.status import snapshot

    graph = _running_graph(args.graph)
    if graph is None:
        return 1
    try:
        while True:
            screen = snapshot(graph, Path(args.graph).parent / "logs")
            if args.watch:
                print("\033[2J\033[H", end="")  # clear the screen, like top
            print("\n".join(screen), flush=True)
            if not args.watch:
                return 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    except Exception as error:  # botocore's connection errors: nothing is listening
        print(f"error: {type(error).__name__}: {error} (is `python -m local up` running?)")
        return 1


def _progress(line: str) -> None:
    print(line, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser(
        "preview",
        help="evaluate a stack offline (mocks, real config) and print its resource tree",
        description="Evaluate STACK (<service>-<env>) with Pulumi.<env>.yaml under mocks and "
        "print what it would deploy, like `pulumi preview`. Exits 1 on a broken program.",
    )
    p.add_argument("stack", help="stack name, e.g. upload-dev")
    p.add_argument("-v", "--verbose", action="store_true", help="print the traceback on errors")
    p.set_defaults(run=preview)

    p = commands.add_parser(
        "up",
        help="deploy every stack into the embedded emulator and serve until Ctrl-C",
        description="Start the embedded AWS emulator (moto on 127.0.0.1), deploy every service "
        "stack of ENV into it, run the functions, HTTP APIs, event sources and CDN, print each "
        "API's URL and a ready-to-paste curl, and serve until Ctrl-C. Writes what a client "
        "needs (API, CDN and Cognito URLs, user pool and client id, region) to "
        ".local/endpoints.json while it runs; `token` signs users in from another terminal. "
        "State: .local/.",
    )
    p.add_argument("--env", default="local", help="environment (Pulumi.<env>.yaml), default local")
    p.add_argument(
        "--port-base",
        type=int,
        metavar="PORT",
        help="fixed ports instead of free ones, so URLs survive restarts: the emulator and "
        "Cognito on PORT, the CDN on PORT+1, the web app on PORT+2, then one API per "
        "service in alphabetical order; refuses to start, naming the port, if one "
        "is taken",
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="echo runtime events (requests, retries)"
    )
    p.set_defaults(run=up)

    p = commands.add_parser(
        "token",
        help="sign a user up (if new) and in against the running `up`; print an ID token",
        description="Read .local/endpoints.json (written by a running `up`), create USERNAME in "
        "the local Cognito pool if new, sign in with the password and print the ID token alone "
        "on stdout, for `export TOKEN=$(./dev token alice)`. Exits 1 with the reason on a wrong "
        "password or when no `up` runs.",
    )
    p.add_argument("username", nargs="?", default=DEFAULT_USER, help="default: %(default)s")
    p.add_argument(
        "--password", default=DEFAULT_PASSWORD, help="default: %(default)s (8+ characters)"
    )
    p.add_argument(
        "--endpoints",
        default=str(ENDPOINTS_FILE),
        help="endpoints file of the running environment (default: %(default)s)",
    )
    p.add_argument(
        "--admin",
        action="store_true",
        help="make the user a moderator first (the pool's marketplace:adminGroup, default "
        "admins): the token may call upload's /admin/reviews routes",
    )
    p.set_defaults(run=token)

    p = commands.add_parser(
        "demo",
        help="bring everything up and run the end-to-end scenario; exit 0 only if all checks hold",
        description="Bring the local environment up, run the marketplace scenario (sign in, "
        "upload, publish, search, purchase, download, withdraw) printing each step with its "
        "time, and exit 0 only if every check held. Logs: .local/logs/.",
    )
    p.set_defaults(run=demo)

    p = commands.add_parser(
        "graph",
        help="draw the services, topics, queues and event types (Mermaid; SVG/PNG with Graphviz)",
        description="Print the event topology as a Mermaid flowchart, from the event catalogue "
        "and the deployed (or offline-evaluated) resources. With --output DIR, write "
        "architecture.mmd and architecture.dot there, plus SVG and PNG when `dot` is installed.",
    )
    p.add_argument("--env", default="local", help="environment, default local")
    p.add_argument("-o", "--output", help="directory to write the diagram files into")
    p.set_defaults(run=graph)

    p = commands.add_parser(
        "down",
        help="stop a running `up` and remove .local/ (graph and logs)",
        description="Stop (SIGTERM) the `up` started from this checkout (its pid is in "
        ".local/up.pid) and delete .local/. The emulator keeps nothing on disk, so this is all "
        "the clean-up.",
    )
    p.set_defaults(run=down)

    p = commands.add_parser(
        "redrive",
        help="list the dead-letter queues of a running `up`; move messages back to their source",
        description="Without options, list every dead-letter queue of the running `up` (from "
        ".local/graph.json) with its depth and whether its alarm fires. With --queue NAME (a "
        "substring of the DLQ's or its source queue's name) or --all, move the parked messages "
        "back to the queue they came from, once the cause is fixed. See docs/reliability.md.",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--queue", help="DLQ (or source queue) name or part of it")
    which.add_argument("--all", action="store_true", help="every dead-letter queue")
    p.add_argument(
        "--graph",
        default=str(REPO_GRAPH),
        help="graph of the running environment (default: %(default)s)",
    )
    p.set_defaults(run=redrive)

    p = commands.add_parser(
        "status",
        help="per function invocations, errors, p95; per queue depth, in flight, age, DLQ",
        description="Print the service dashboards' figures from the running `up`: per "
        "function invocations, errors and p95 duration; per queue depth, in-flight messages, "
        "oldest message age and DLQ depth; the recent failures with their correlation ids. "
        "--watch refreshes like top (Ctrl-C stops).",
    )
    p.add_argument("--watch", action="store_true", help="refresh until Ctrl-C")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes")
    p.add_argument(
        "--graph",
        default=str(REPO_GRAPH),
        help="graph of the running environment (default: %(default)s)",
    )
    p.set_defaults(run=status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())

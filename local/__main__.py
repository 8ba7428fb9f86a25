"""The local environment's one entry point: ``python -m local <command>`` (``./dev <command>``)."""

from __future__ import annotations

import argparse
import sys
import traceback


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())

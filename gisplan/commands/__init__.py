"""Sub-commands of the ``gisplan`` CLI: each module has ``add_parser(subparsers)`` and ``run(args)``."""

from __future__ import annotations

import argparse

from gisplan.catalogue import CircleStandard, default_standard
from gisplan.errors import InputError


def add_standard_options(p: argparse.ArgumentParser) -> None:
    """Options that override the circle standard: speed, thresholds, required set, snapping."""
    p.add_argument("--speed", type=float, metavar="KMH", help="walking speed in km/h (default 4.0)")
    p.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="CATEGORY=MIN",
        help="walking-time threshold in minutes for a category, e.g. wet_market=8 (repeatable)",
    )
    p.add_argument(
        "--required",
        metavar="CAT[,CAT...]",
        help="categories that make up the required standard (default: convenience_store,wet_market,supermarket)",
    )
    p.add_argument(
        "--max-snap",
        type=float,
        metavar="M",
        help="largest off-network leg in metres (default 300)",
    )


def standard_from_args(args: argparse.Namespace) -> CircleStandard:
    """Build the circle standard from :func:`add_standard_options` arguments."""
    thresholds = {}
    for item in args.threshold or []:
        if "=" not in item:
            raise InputError(
                f"cannot read --threshold {item!r}",
                field="--threshold",
                hint="write CATEGORY=MINUTES, e.g. wet_market=8",
            )
        key, _, val = item.partition("=")
        try:
            thresholds[key.strip()] = float(val)
        except ValueError:
            raise InputError(
                f"threshold {val!r} is not a number",
                field="--threshold",
                hint="write minutes as a number",
            ) from None
    required = None
    if args.required:
        required = [c.strip() for c in args.required.split(",") if c.strip()]
    return default_standard().with_overrides(
        walking_speed_kmh=args.speed,
        thresholds=thresholds,
        required=required,
        max_snap_distance_m=args.max_snap,
    )


def progress_printer(quiet: bool = False):
    """A progress callback printing ``[n] message`` lines to stderr."""
    import sys
    import time

    start = time.perf_counter()
    count = [0]

    def _progress(msg: str) -> None:
        count[0] += 1
        if not quiet:
            print(f"[{time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return _progress

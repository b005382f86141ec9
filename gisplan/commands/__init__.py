"""Sub-commands of the ``gisplan`` CLI: each module has ``add_parser(subparsers)`` and ``run(args)``."""

from __future__ import annotations

import argparse

from gisplan.catalogue import CircleStandard, default_standard
from gisplan.errors import InputError
from gisplan.params import MAX_SNAP_M, THRESHOLD_MIN, WALKING_SPEED_KMH
from gisplan.settings import ENV_CLI_PASSWORD, ENV_CLI_USER


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
        thresholds[key.strip()] = val.strip()  # checked by with_overrides (gisplan.params)
    required = None
    if args.required is not None:
        required = [c.strip() for c in args.required.split(",") if c.strip()]
        if not required:
            raise InputError(
                f"--required {args.required!r} names no category",
                field="--required",
                hint="e.g. --required convenience_store,wet_market,supermarket",
            )
    # The bounds of gisplan.params, named by the option the user typed.
    if args.speed is not None:
        WALKING_SPEED_KMH.check(args.speed, field="--speed")
    if args.max_snap is not None:
        MAX_SNAP_M.check(args.max_snap, field="--max-snap")
    for key, val in thresholds.items():
        thresholds[key] = THRESHOLD_MIN.check(val, field=f"--threshold {key}")
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


def add_login_options(p: argparse.ArgumentParser) -> None:
    """``--user`` for commands that need a signed-in planner or official."""
    p.add_argument(
        "--user",
        metavar="NAME",
        help="planner/official user name (default $GISPLAN_USER); password from $GISPLAN_PASSWORD or a prompt",
    )


def login_from_args(args: argparse.Namespace, action: str = "read"):
    """Authenticate the CLI user against the configured users (GISPLAN_USERS / GISPLAN_USERS_FILE).

    Returns a :class:`gisplan.store.auth.User`. Without a user name the command is refused
    as for a public visitor; a wrong password is an :class:`InputError`.  Failed sign-ins are
    counted per user name and per local account (:func:`gisplan.store.throttle.cli_throttle`):
    after a few, further attempts must wait (1 s, 2 s, 4 s, ... up to 15 minutes).
    """
    import getpass
    import math
    import os
    import socket

    from gisplan.store.auth import PermissionDenied, load_users
    from gisplan.store.throttle import cli_throttle, throttled_authenticate

    name = args.user or os.environ.get(ENV_CLI_USER)
    if not name:
        raise PermissionDenied(action, "public")
    password = os.environ.get(ENV_CLI_PASSWORD)
    if password is None:
        password = getpass.getpass(f"{name} 的密码 password: ")
    client = f"cli:{getpass.getuser()}@{socket.gethostname()}"
    result = throttled_authenticate(
        name, password, load_users(), client=client, throttle=cli_throttle()
    )
    if result.wait_s > 0:
        raise InputError(
            f"登录失败次数过多 / too many failed sign-ins: try again in {math.ceil(result.wait_s)} s",
            field="--user",
            hint="failed sign-ins are logged; ask the administrator if you forgot the password",
        )
    user = result.user
    if user is None:
        raise InputError(
            "用户名或密码错误 / wrong user name or password",
            field="--user",
            hint="check the name and password; users are configured in GISPLAN_USERS or GISPLAN_USERS_FILE",
        )
    return user


def add_dataset_options(p: argparse.ArgumentParser) -> None:
    """``--data FILE.gpkg`` / ``--osm FILE``: the dataset (default: the embedded demonstration)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--data",
        metavar="FILE.gpkg",
        help="prepared dataset (from gisplan prepare); its circles layer names areas for --within",
    )
    g.add_argument(
        "--osm", metavar="FILE", help="OpenStreetMap extract (.osm or .osm.pbf) instead of the demo"
    )


def dataset_from_args(args: argparse.Namespace, progress):
    """The dataset chosen by :func:`add_dataset_options` (the synthetic demo by default)."""
    from gisplan.analysis import demo_dataset, osm_dataset

    if getattr(args, "data", None):
        from gisplan.dataset import open_dataset

        progress(f"opening prepared dataset {args.data}")
        return open_dataset(args.data, progress=progress)
    if getattr(args, "osm", None):
        progress(f"reading OpenStreetMap file {args.osm}")
        return osm_dataset(args.osm)
    progress("generating the embedded synthetic 三江口 demonstration data")
    return demo_dataset()


def add_output_options(p: argparse.ArgumentParser) -> None:
    """``--out DIR`` (default ``out``) and ``--quiet``."""
    p.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def add_save_options(p: argparse.ArgumentParser) -> None:
    """``--save NAME``, ``--overwrite`` and ``--db URL``: keep the result as a named scenario."""
    p.add_argument(
        "--save",
        metavar="NAME",
        help="save the result as a named scenario (needs a signed-in planner/official: --user)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="with --save: replace a scenario of that name"
    )
    p.add_argument("--db", metavar="URL", help="with --save: SQLAlchemy URL (default $GISPLAN_DB)")


def save_scenario(args: argparse.Namespace, user, payload: dict) -> None:
    """Save a scenario payload (:mod:`gisplan.siting.export`) under ``--save`` and say so."""
    from gisplan.store import ScenarioRecord, ScenarioStore, engine_from_env

    record = ScenarioRecord(**payload)
    ScenarioStore(engine_from_env(args.db)).save(user, record, overwrite=args.overwrite)
    print(f"已保存方案 saved scenario: {args.save} (作者 author: {user.username})")


def area_from_args(args: argparse.Namespace, dataset, progress=None):
    """The planning area named by ``--within`` (None without it), with the dataset's circles."""
    if not args.within:
        return None
    from gisplan.siting.area import dataset_circles, resolve_area

    area = resolve_area(args.within, circles=dataset_circles(dataset))
    if progress is not None:
        progress(f"planning area: {area.name} ({area.kind})")
    return area


def run_summary(dataset, standard: CircleStandard, t0: float, thresholds: dict) -> dict:
    """What a run's summary.json records of its data and standard, and its total time.

    ``thresholds`` is ``{"threshold_min": minutes}`` (one category) or
    ``{"thresholds_min": {category: minutes}}``.
    """
    import time

    return {
        "dataset": dataset.label,
        "attribution": dataset.attribution,
        "walking_speed_kmh": standard.walking_speed_kmh,
        **thresholds,
        "required": standard.required_ids,
        "total_time_s": round(time.perf_counter() - t0, 3),
    }

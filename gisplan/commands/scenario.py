"""``gisplan scenario``: list, show, export and delete saved siting scenarios (signed-in users only)."""

from __future__ import annotations

import argparse
import json

from gisplan.commands import add_login_options, login_from_args
from gisplan.safetext import terminal_text as safe


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``gisplan scenario`` and its options to the CLI's sub-parsers."""
    p = sub.add_parser("scenario", help="saved siting scenarios / 已保存的选址方案")
    inner = p.add_subparsers(dest="scenario_command", metavar="ACTION", required=True)
    for name, help_text in [
        ("list", "list saved scenarios"),
        ("show", "show one scenario"),
        ("export", "export sites (GeoPackage, GeoJSON), results (CSV) and an HTML report"),
        ("delete", "delete a scenario (recorded in the audit log)"),
        ("compare", "compare two scenarios side by side"),
    ]:
        q = inner.add_parser(name, help=help_text)
        if name in ("show", "export", "delete"):
            q.add_argument("name")
        if name == "compare":
            q.add_argument("name_a")
            q.add_argument("name_b")
        if name == "export":
            q.add_argument("--out", required=True, metavar="DIR")
        if name == "delete":
            q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        q.add_argument(
            "--db",
            metavar="URL",
            help="SQLAlchemy URL (default $GISPLAN_DB or a per-user SQLite file)",
        )
        add_login_options(q)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``gisplan scenario``; the exit status."""
    from gisplan.store import ScenarioStore, before_after_table, engine_from_env, export_scenario

    action = {
        "list": "read",
        "show": "read",
        "export": "export",
        "delete": "delete",
        "compare": "compare",
    }
    user = login_from_args(args, action[args.scenario_command])
    store = ScenarioStore(engine_from_env(args.db))
    # Names and other text come from the database: printed without control characters or
    # terminal escape sequences (gisplan.safetext.terminal_text).
    cmd = args.scenario_command
    if cmd == "list":
        rows = store.list(user)
        if not rows:
            print("（没有已保存的方案）no saved scenarios")
        for s in rows:
            d = s.as_dict()
            sites = (
                "损坏 damaged — cannot be read"
                if d["damaged"]
                else f"sites: {d['n_chosen']} chosen + {d['n_manual']} manual"
            )
            print(
                f"{safe(d['name']):<24} {safe(d.get('category') or ''):<18} "
                f"{safe(d['author']):<12} {d['updated_at']}  {sites}"
            )
    elif cmd == "show":
        rec = store.load(user, args.name)
        print(
            f"方案 scenario: {safe(rec.name)}   作者 author: {safe(rec.author)}   {rec.updated_at}"
        )
        print(f"类别 category: {safe(rec.category)}")
        print("参数 parameters: " + safe(json.dumps(rec.params, ensure_ascii=False)))
        print(safe_table(before_after_table(rec.results)))
        sites = rec.sites_frame()
        print(f"站点 sites ({len(sites)}):")
        for row in sites.itertuples():
            name = safe(getattr(row, "name", "") or "")
            print(
                f"  {safe(getattr(row, 'kind', ''))}  {row.geometry.x:.6f}, {row.geometry.y:.6f}"
                f"  gain={getattr(row, 'gain', '')}  {name}".rstrip()
            )
    elif cmd == "export":
        paths = export_scenario(
            user, store, args.name, args.out, report=_report_writer(store.load(user, args.name))
        )
        for p in paths.values():
            print(p)
    elif cmd == "delete":
        if not args.yes:
            answer = input(f"删除方案 delete scenario {safe(repr(args.name))}? [y/N] ")
            if answer.strip().lower() not in ("y", "yes", "是"):
                print("取消 cancelled")
                return 1
        store.delete(user, args.name)
        print(f"已删除 deleted {safe(args.name)}")
    elif cmd == "compare":
        table = store.compare(user, args.name_a, args.name_b)
        header = [*table.columns[:4], table.attrs["scenario_a"], table.attrs["scenario_b"]]
        print(safe_table(table, [*header, "difference"]))
    return 0


def _report_writer(record):
    """The report writer, with a map when the scenario was made on the demonstration data.

    The CLI does not open other datasets for a report; the report then says so.
    """
    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard
    from gisplan.report.scenario_html import report_writer
    from gisplan.report.scenario_map import scenario_context

    demo = demo_dataset(cached=True)
    if record.made_on(demo.content_hash) is not True:
        return report_writer(None)
    model = build_access(demo, default_standard())
    return report_writer(
        lambda rec: scenario_context(rec, model, water=demo.extras.get("rivers")),
        attribution=demo.attribution,
    )


def safe_table(table, header=None) -> str:
    """``table`` as text with every cell and header passed through terminal_text."""
    shown = table.map(lambda v: safe(v) if isinstance(v, str) else v)
    names = [safe(h) for h in (header if header is not None else table.columns)]
    return shown.to_string(index=False, header=names)

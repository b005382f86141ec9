"""Benchmark of the residents' page "我的15分钟生活圈": engine time and memory per query and, in
headless Chromium, the time from choosing a place to the drawn result.

Two datasets: the embedded demo (synthetic 三江口, ~3,600 nodes) and, with ``--data``, a
prepared whole-city GeoPackage (``gisplan prepare``; e.g. the 569k-node, 20,000-community
synthetic city of ``bench_city_app.py``), served by ``app.py`` with ``GISPLAN_DATASET`` and a
cache folder of the benchmark's own (the file is only read).

1. Engine (in this process): :meth:`CircleFinder.from_community` / :meth:`from_lonlat` on
   many places — median, 95th percentile and worst seconds, the Python-heap peak
   (tracemalloc) of one query and of its bounded search, against the same search through a
   virtual super-source (which copies the adjacency: the old path), and the ratio to a
   baseline in the same process: one *unbounded* search from the same place.
2. Browser: a fresh ``streamlit run app.py``, opened in headless Debian Chromium with every
   non-localhost request blocked, at phone and desktop width. Timed from the choice of a
   community in the search results, or a tap on the map, until the verdict card names the
   new place and the map has painted the new place's layers (the map frame is kept; only the
   place's layers are swapped). Also counted: the bytes the server sends over the
   websocket for that rerun, and the load average at the time.

    python benchmarks/bench_my_circle.py [--data CITY.gpkg] [--repeat N] [--baseline DIR]

``--baseline DIR`` times an older revision's app (a checkout in DIR) in the same run, right after
this one at each width, so that both see the same machine load.

Target (issue 12): < 1 s from choice to drawn result. Timings depend on machine load; the
script prints every repetition, the median and the maximum.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, Offline, run_streamlit  # noqa: E402

MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"


def engine_figures(label: str, model, standard, n: int) -> None:
    """Engine seconds per query (community and tapped point) and the unbounded baseline."""
    from gisplan.access.place_circle import CircleFinder
    from gisplan.access.walking import node_distances

    t0 = time.perf_counter()
    finder = CircleFinder(model, standard)
    print(f"  {label}: CircleFinder set-up (once per dataset) {time.perf_counter() - t0:.3f} s")
    ok = np.flatnonzero(model.community_snap.ok)
    rng = np.random.default_rng(0)
    picks = rng.choice(ok, size=min(n, len(ok)), replace=False)
    ids = model.communities["id"].to_numpy()[picks]
    finder.from_community(ids[0])  # warm-up
    by_id, by_point, base, ratio = [], [], [], []
    for cid in ids:
        c = finder.from_community(cid)
        by_id.append(c.engine_s)
        p = model.communities.set_index("id").loc[cid].geometry
        c2 = finder.from_lonlat(p.x + 0.0003, p.y)
        by_point.append(c2.engine_s)
        t0 = time.perf_counter()
        node_distances(model.network, c.snapped)  # the same place, no bound
        base.append(time.perf_counter() - t0)
        ratio.append(c.engine_s / base[-1])
    import gisplan.access.walking as walking

    def heap_peak(fn) -> float:
        tracemalloc.start()
        fn()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top / 2**20

    peak = heap_peak(lambda: finder.from_community(ids[0]))
    search = heap_peak(lambda: node_distances(model.network, c.snapped, limit_m=finder.bound_m))
    few, walking.FEW_SEEDS = walking.FEW_SEEDS, 0  # the old path: a virtual super-source
    try:
        old = heap_peak(lambda: node_distances(model.network, c.snapped, limit_m=finder.bound_m))
    finally:
        walking.FEW_SEEDS = few
    adj = model.network.adjacency
    adj_mb = (adj.data.nbytes + adj.indices.nbytes + adj.indptr.nbytes) / 2**20

    def stats(v):
        v = np.asarray(v)
        return f"median {np.median(v):.3f} s  p95 {np.percentile(v, 95):.3f} s  max {v.max():.3f} s"

    print(f"  {label}: community, {len(ids)} queries: {stats(by_id)}")
    print(f"  {label}: tapped point, {len(ids)} queries: {stats(by_point)}")
    print(
        f"  {label}: baseline, one unbounded search from the same place: {stats(base)}; "
        f"whole answer / unbounded search alone: median {np.median(ratio):.2f}x"
    )
    print(f"  {label}: Python-heap peak of one whole query {peak:.1f} MB")
    print(
        f"  {label}: Python-heap peak of its bounded search: {search:.1f} MB on the network's "
        f"own adjacency vs {old:.1f} MB with a virtual super-source (a copy of the "
        f"{adj_mb:.1f} MB adjacency)"
    )


def _new_map_drawn(page, timeout_s: float = 60.0) -> None:
    """Wait until the map shows a new place's layers (a feature group other than the one
    :func:`_mark_map` noted), and two animation frames have passed for them to be painted."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for el in page.locator(MAP_IFRAME).element_handles():
            frame = el.content_frame()
            if frame is None:
                continue
            try:
                ok = frame.evaluate(
                    "() => new Promise(done => { const g = window.feature_group;"
                    " if (typeof map_div === 'undefined' || !g || !g.length"
                    " || g[g.length - 1] === window.__benchOld) { done(false); return; }"
                    " requestAnimationFrame(() => requestAnimationFrame(() => done(true))); })"
                )
            except Exception:  # noqa: BLE001 - the frame was replaced meanwhile
                ok = False
            if ok:
                return
        time.sleep(0.01)
    state = [
        el.content_frame().evaluate(
            "() => [typeof map_div, (window.feature_group || []).length,"
            " (window.feature_group || []).slice(-1)[0] === window.__benchOld]"
        )
        for el in page.locator(MAP_IFRAME).element_handles()
        if el.content_frame() is not None
    ]
    raise TimeoutError(f"the new map did not draw (map frames: {state})")


def _mark_map(page) -> None:
    """Note the place layers the map shows now (none before the first choice)."""
    for el in page.locator(MAP_IFRAME).element_handles():
        frame = el.content_frame()
        if frame is not None:
            frame.evaluate(
                "() => { const g = window.feature_group || []; window.__benchOld = g[g.length - 1]; }"
            )


class WireCount:
    """Bytes the server sends to the page over Streamlit's websocket (all frames)."""

    def __init__(self, page) -> None:
        self.bytes = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        self.bytes += len(payload if isinstance(payload, bytes | bytearray) else payload.encode())


def _idle(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=600_000
    )


def _summary(values: list[float]) -> str:
    v = np.asarray(values)
    runs = " ".join(f"{x:.2f}" for x in v)
    return f"{runs} s   median {np.median(v):.2f} s  max {v.max():.2f} s"


def browser_figures(
    label: str,
    browser,
    url: str,
    names: list[str],
    repeat: int,
    *,
    phone: bool,
) -> None:
    """Seconds from choosing a community (search results) or tapping the map to the drawn
    result, bytes sent by the server for that rerun, and the load average.

    Phone: 390 px wide and 1,400 px high, so that the map is on screen with the search box
    (Chromium paints an off-screen map frame only when it is scrolled to). Desktop: 1440×900.
    """
    viewport = {"width": 390, "height": 1400} if phone else {"width": 1440, "height": 900}
    label = f"{label}, {'390' if phone else '1440'} px"
    context = browser.new_context(
        viewport=viewport, is_mobile=phone, has_touch=phone, locale="zh-CN"
    )
    context.route("**/*", Offline())
    page = context.new_page()
    wire = WireCount(page)
    t0 = time.perf_counter()
    page.goto(url + "my-circle")
    page.get_by_text("请先选择小区").wait_for(timeout=600_000)
    page.locator(MAP_IFRAME).first.wait_for(timeout=600_000)
    _idle(page)
    print(
        f"  {label}: first page load (server warm) {time.perf_counter() - t0:.2f} s, "
        f"{wire.bytes / 1024:.0f} KB"
    )
    sidebar = page.locator('[data-testid="stSidebar"][aria-expanded="true"]')
    if phone and sidebar.count():
        page.get_by_test_id("stSidebarCollapseButton").click()
        page.wait_for_timeout(800)
    picks, cards, taps, pick_kb, tap_kb, typing_kb, loads = [], [], [], [], [], [], []
    for k in range(repeat):
        name = names[k % len(names)]
        before = wire.bytes
        if not page.locator('.st-key-circle_pick [data-testid="stSelectbox"]').count():
            box = page.locator(".st-key-circle_pick input").first
            box.click()
            box.fill("")
            page.keyboard.type(name, delay=10)
            hit = page.locator(".st-key-circle_pick button").filter(has_text=name).first
        else:  # a --baseline revision: the selectbox that held every community
            page.locator('.st-key-circle_pick [role="group"]').first.click()
            page.keyboard.type(name, delay=10)
            hit = page.get_by_role("option").filter(has_text=name).first
        hit.wait_for(timeout=60_000)
        _idle(page)
        typing_kb.append((wire.bytes - before) / 1024)
        _mark_map(page)
        before = wire.bytes
        t0 = time.perf_counter()
        hit.click()
        page.locator(".st-key-circle_card h4").filter(has_text=name).wait_for(timeout=60_000)
        cards.append(time.perf_counter() - t0)
        _new_map_drawn(page)
        picks.append(time.perf_counter() - t0)
        loads.append(os.getloadavg()[0])
        _idle(page)
        pick_kb.append((wire.bytes - before) / 1024)
        # a tap 60 px right of the map's centre
        page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
        frame_box = page.locator(MAP_IFRAME).first.bounding_box()
        page.wait_for_timeout(1500)
        _mark_map(page)
        before_text = page.locator(".st-key-circle_card h4").inner_text()
        before = wire.bytes
        t0 = time.perf_counter()
        x, y = (
            frame_box["x"] + frame_box["width"] / 2 + 60,
            frame_box["y"] + frame_box["height"] / 2,
        )
        if phone:
            page.touchscreen.tap(x, y)
        else:
            page.mouse.click(x, y)
        # a new place (the tapped point, or the community whose dot was tapped), or a message
        page.wait_for_function(
            "(before) => { const h = document.querySelector('.st-key-circle_card h4');"
            " const alert = document.querySelector('[data-testid=stAlert]');"
            " return (h && h.innerText !== before) || !!alert; }",
            arg=before_text,
            timeout=60_000,
        )
        try:
            _new_map_drawn(page, timeout_s=20)
            taps.append(time.perf_counter() - t0)
            _idle(page)
            tap_kb.append((wire.bytes - before) / 1024)
        except TimeoutError:
            pass  # the tap fell off the streets: a message, no new map
        page.locator(".st-key-circle_pick").scroll_into_view_if_needed()
    context.close()
    print(f"  {label}: choose by name -> drawn: {_summary(picks)}  (target < 1 s)")
    print(f"  {label}:   of which until the verdict card shows the place: {_summary(cards)}")
    if taps:
        print(f"  {label}: tap the map -> drawn:   {_summary(taps)}  (target < 1 s)")
    kb = " ".join(f"{v:.0f}" for v in pick_kb)
    print(
        f"  {label}: KB sent per choice rerun: {kb}; per tap rerun: "
        + " ".join(f"{v:.0f}" for v in tap_kb)
        + "; while typing the name (search list only): "
        + " ".join(f"{v:.1f}" for v in typing_kb)
    )
    print(
        f"  {label}: load average (1 min) at each choice: "
        + " ".join(f"{v:.1f}" for v in loads)
        + f" on {os.cpu_count()} cores"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", help="a prepared whole-city GeoPackage (read only)")
    ap.add_argument("--repeat", type=int, default=5, help="browser choices per dataset/width")
    ap.add_argument("--no-engine", action="store_true", help="browser figures only")
    ap.add_argument(
        "--baseline",
        help="a checkout of an older revision (e.g. `git archive REV | tar -x -C DIR`): its app "
        "is timed in the same run, alternating with this one, under the same load",
    )
    args = ap.parse_args()

    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard

    std = default_standard()
    demo = demo_dataset(cached=True)
    print(f"load average at start: {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        city_names: list[str] = []
        if not args.no_engine:
            print("engine (one bounded search per place; seconds per query):")
            engine_figures("demo", build_access(demo, std), std, 100)
        if args.data:
            from gisplan.dataset import open_dataset, read_metadata
            from gisplan.dataset.model_cache import cached_access

            t0 = time.perf_counter()
            ds, model, _ = cached_access(
                read_metadata(args.data)["content_hash"],
                lambda: open_dataset(args.data),
                std,
                directory=cache,
            )
            print(
                f"  city: {model.network.n_nodes:,} nodes, {model.network.n_edges:,} edges, "
                f"{len(model.communities):,} communities; opened and access model built in "
                f"{time.perf_counter() - t0:.1f} s (once per server, then from the disk cache)"
            )
            if not args.no_engine:
                engine_figures("city", model, std, 40)
            ok = model.communities[model.community_snap.ok]
            city_names = ok["name"].drop_duplicates().sample(20, random_state=1).tolist()
            del model, ds

        if not Path(CHROMIUM).exists():
            print(f"browser: Chromium not found at {CHROMIUM} (apt-get install chromium); skipped")
            return
        from playwright.sync_api import sync_playwright

        demo_names = demo.communities["name"].drop_duplicates().sample(20, random_state=1)
        print("browser (headless Chromium, offline; from choice to drawn result):")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            runs = [("demo", {}, demo_names.tolist())]
            if args.data:
                runs.append(("city", {"GISPLAN_DATASET": str(args.data)}, city_names))
            for label, env, names in runs:
                env = {"GISPLAN_CACHE_DIR": str(cache), **env}
                with contextlib.ExitStack() as stack:
                    url = stack.enter_context(run_streamlit(env, f"bench-{label}"))
                    old_url = None
                    if args.baseline:
                        base = Path(args.baseline).resolve()
                        old_url = stack.enter_context(
                            run_streamlit(
                                {**env, "PYTHONPATH": str(base)},
                                f"bench-{label}-baseline",
                                app=base / "app.py",
                            )
                        )
                    for phone in (True, False):
                        browser_figures(label, browser, url, names, args.repeat, phone=phone)
                        if old_url is not None:
                            browser_figures(
                                f"{label} BASELINE {base.name}",
                                browser,
                                old_url,
                                names,
                                args.repeat,
                                phone=phone,
                            )
            browser.close()


if __name__ == "__main__":
    main()

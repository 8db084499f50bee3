"""``ecociv demo``: run the Belt's baseline scenario on the embedded real-data dataset and print
its numbers per prefecture (``--example``: the small synthetic example instead)."""

from __future__ import annotations

import shutil
import threading
import time
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ecociv.scenario.runner import ProgressCallback


def example_scenario() -> Path:
    """Path of the shipped example scenario (inside the installed package)."""
    with as_file(files("ecociv") / "data" / "example" / "scenario.yaml") as path:
        return Path(path)


def belt_scenario() -> Path:
    """Path of the shipped Belt baseline scenario."""
    with as_file(files("ecociv") / "data" / "scenarios" / "belt_baseline.yaml") as path:
        return Path(path)


#: the demo's tables: (title, [(summary column, header, format)])
TABLES: tuple[tuple[str, list[tuple[str, str, str]]], ...] = (
    ("Belt baseline per prefecture: water, carbon, people (exact area-weighted zonal statistics)", [
        ("area_km2", "area (km²)", "{:,.0f}"),
        ("precipitation_mm", "precipitation (mm)", "{:.0f}"),
        ("precipitation_1e8m3", "precipitation (10⁸ m³)", "{:.1f}"),
        ("et0_mm", "ET0 (mm)", "{:.0f}"),
        ("water_yield_1e8m3", "water yield (10⁸ m³)", "{:.1f}"),
        ("carbon_mt", "carbon (Mt C)", "{:.1f}"),
        ("population", "population (10⁴)", "pop"),
    ]),
    ("Belt baseline per prefecture: ecosystem services, red line, corridors", [
        ("water_conservation_1e8m3", "water conservation (10⁸ m³)", "{:.1f}"),
        ("soil_conservation_mt", "soil conservation (Mt/yr)", "{:.1f}"),
        ("sand_fixation_mt", "sand fixation (Mt/yr)", "{:.1f}"),
        ("habitat_quality_mean", "habitat quality (mean)", "{:.2f}"),
        ("redline_km2", "red line (km²)", "{:,.0f}"),
        ("redline_percent", "red line (% of unit)", "{:.1f}"),
        ("corridor_length_km", "corridors (km)", "{:,.0f}"),
    ]),
)


def _cell(row: pd.Series, column: str, fmt: str) -> str:
    import pandas as pd

    value = row[column]
    if fmt == "pop":
        if pd.isna(value):
            return "n/a"
        return f"{value / 1e4:.1f}" + ("*" if row["population_units_missing"] else "")
    return "n/a" if pd.isna(value) else fmt.format(value)


def _prefecture_table(title: str, data: pd.DataFrame, columns: list[tuple[str, str, str]]) -> Any:
    from rich.table import Table

    table = Table(title=title)
    table.add_column("prefecture", no_wrap=True)
    table.add_column("", no_wrap=True)
    for _, header, _ in columns:
        table.add_column(header, justify="right")
    for _, row in data.iterrows():
        total = row["prefecture_adcode"] == "total"
        table.add_row(str(row["prefecture_en"]), str(row["prefecture_zh"]),
                      *[_cell(row, column, fmt) for column, _, fmt in columns],
                      style="bold" if total else None, end_section=total)
    return table


#: dataset layers the map process draws as throwaway maps while this process plans (a continuous
#: and a class map of the Belt grid: its layers, overlay and fonts are then ready for the first
#: step's maps; the monthly small multiples are laid out by ``MapWorkers.prime_sources``);
#: (layer id, categorical)
PRIME_MAPS: tuple[tuple[str, bool], ...] = (("dem", False), ("land_use", True))


WATER_SECTORS = ("domestic", "ecology", "industry", "agriculture")


def water_table(summary: pd.DataFrame) -> Any:
    """Per basin: demand, supply, shortage by sector, overdraft, ecological water, lake inflow (10⁸ m³/yr)."""
    from rich.table import Table

    table = Table(title="Belt water allocation per basin, mean of 30 years (10⁸ m³/yr; network figures "
                        "partly illustrative, see src/ecociv/data/water/belt_network/sources.csv)")
    for header in ("basin", "demand", "supply", *(f"shortage {s}" for s in WATER_SECTORS),
                   "groundwater overdraft", "ecological water", "terminal-lake inflow"):
        table.add_column(header, justify="left" if header == "basin" else "right")
    for basin, rows in summary.groupby("basin", sort=True):
        by_sector = rows.set_index("sector")
        total = by_sector.loc["all"]
        if total["demand_1e8m3_per_yr"] == 0 and total["terminal_lake_inflow_1e8m3_per_yr"] == 0:
            continue
        shortages = [f"{by_sector.loc[s, 'shortage_1e8m3_per_yr']:.2f}" if s in by_sector.index else "–"
                     for s in WATER_SECTORS]
        table.add_row(str(basin), f"{total['demand_1e8m3_per_yr']:.2f}", f"{total['supply_1e8m3_per_yr']:.2f}",
                      *shortages, f"{total['groundwater_overdraft_1e8m3_per_yr']:.2f}",
                      f"{total['ecological_water_1e8m3_per_yr']:.2f}",
                      f"{total['terminal_lake_inflow_1e8m3_per_yr']:.2f}")
    return table


def prepare_summaries(dataset: Any) -> None:
    """Do ahead what the summaries and the reference check of a run on ``dataset`` need whatever
    the run computed: import their modules (the workbook writer, the check and its plot), read
    the member units and the census, and compute each unit's exact cell coverage on the
    dataset's grid (kept by :func:`ecociv.grid.zonal.coverage`). Called in a thread while the
    last steps run, it takes ~1.8 s of CPU off the end of a Belt demo (measured on one run
    folder: summaries and check 2.7 s of CPU cold, 0.9 s after this)."""
    import tempfile

    import dask
    import dask.array as da
    import pandas as pd

    from ecociv.check.report import check_run  # noqa: F401  (its imports)
    from ecociv.grid.zonal import coverage
    from ecociv.io.table_files import write_table, write_workbook
    from ecociv.region.summary import write_summaries  # noqa: F401  (its imports)
    from ecociv.region.units import read_census, read_units_table
    from ecociv.registry import all_models

    all_models()
    grid = dataset.grid
    units = read_units_table(dataset.layer("units_table").path,
                             dataset.layer("units").source).to_crs(grid.crs)
    for geometry in units.geometry:
        coverage(geometry, grid)
    read_census(dataset.layer("census_2020").path)
    with tempfile.TemporaryDirectory(prefix="ecociv-demo-") as folder:
        frame = pd.DataFrame({"value": [1.0]})
        write_table(frame, Path(folder) / "warm.csv")
        write_workbook({"warm": frame}, Path(folder) / "warm.xlsx")
    dask.compute(da.zeros(4, chunks=2).sum())
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401


class _AheadOfTime:
    """Runs :func:`prepare_summaries` in a thread once every step of the run has started (the
    cores are then no longer all wanted by steps waiting to start); :meth:`wait` before the
    summaries. A failure there is ignored: the summaries meet it again and report it."""

    def __init__(self, steps: int, dataset: Any, progress: ProgressCallback | None):
        self.steps = steps
        self.dataset = dataset
        self.progress = progress
        self.started: set[str] = set()
        self.thread: threading.Thread | None = None

    def __call__(self, step: str, status: str) -> None:
        if status.startswith("running") or status in ("done", "cached"):
            self.started.add(step)
        if self.thread is None and len(self.started) >= self.steps:
            self.thread = threading.Thread(target=self._prepare, name="ecociv-demo-prepare",
                                           daemon=True)
            self.thread.start()
        if self.progress is not None:
            self.progress(step, status)

    def _prepare(self) -> None:
        from ecociv.scenario.timeline import span

        try:
            with span("prepare_summaries"):
                prepare_summaries(self.dataset)
        except Exception:  # only a head start: the summaries meet the error again
            return

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()


def summaries_and_check(folder: Path, dataset: Any, run_id: str) -> tuple[Any, Any]:
    """Write the per-unit summaries (:func:`ecociv.region.summary.write_summaries`) and the
    reference check (:func:`ecociv.check.report.check_run`) of the run in ``folder``, the check
    in a thread of its own meanwhile (it reads the steps' outputs, not the summaries: one waits
    less for the other's reading and writing, which release the interpreter).

    Returns the summaries' paths and the check's result, or the
    :class:`~ecociv.errors.InputError` the check raised (a bad reference table must not cost
    the user the run: the demo reports it); any other error of either is raised, once both are
    done."""
    from ecociv.check.report import check_run
    from ecociv.errors import InputError
    from ecociv.region.summary import write_summaries
    from ecociv.scenario.timeline import span

    outcome: dict[str, Any] = {}

    def check() -> None:
        try:
            with span("check"):
                outcome["check"] = check_run(folder, dataset=dataset, run_id=run_id)
        except BaseException as err:  # handed to the calling thread
            outcome["check"] = err

    checking = threading.Thread(target=check, name="ecociv-demo-check")
    checking.start()
    try:
        with span("summaries"):
            paths = write_summaries(folder, dataset)
    finally:
        checking.join()  # before the run folder is committed (or removed on an error)
    result = outcome["check"]
    if isinstance(result, BaseException) and not isinstance(result, InputError):
        raise result
    return paths, result


def run_belt_demo(store_root: Path, progress: ProgressCallback | None = None, *,
                  background_maps: bool = False) -> Path:
    """Run the Belt baseline, write per-unit and per-prefecture summaries into the run folder and
    print the prefecture table with Belt totals; return the run folder.

    ``progress(step, status)`` is told when each step runs and finishes. ``background_maps``:
    draw the maps in a worker process while later steps compute (see
    :func:`ecociv.scenario.run_file.run_scenario_file`).
    """
    from ecociv.scenario.map_workers import MapWorkers
    from ecociv.scenario.timeline import process_started, span

    process_started("main")
    started = time.perf_counter()
    # the map workers start up (import matplotlib) while this process imports the runner and
    # loads and checks the scenario
    maps: bool | MapWorkers = MapWorkers(prime=PRIME_MAPS) if background_maps else False
    with span("imports"):  # the runner's libraries (pandas, xarray, dask, rasterio)
        from rich.console import Console

        from ecociv.region.dataset import load_dataset
        from ecociv.scenario.run_file import load_scenario_file, run_scenario_file
        from ecociv.scenario.store import PARTIAL

    console = Console(width=max(160, shutil.get_terminal_size((160, 40)).columns))
    scenario = belt_scenario()
    console.print(f"ecociv demo: Belt baseline (天山北坡经济带), scenario {scenario}")
    try:
        with span("load_dataset"):
            dataset = load_dataset()
        with span("plan"):
            loaded = load_scenario_file(scenario)
    except BaseException:
        if isinstance(maps, MapWorkers):
            maps.shutdown()
        raise
    if isinstance(maps, MapWorkers):  # the steps' source lines, while the worker waits
        maps.prime_sources(dataset.layer(PRIME_MAPS[0][0]).path, loaded.steps)
    ahead = _AheadOfTime(len(loaded.steps), dataset, progress)
    written: dict[str, Any] = {}

    def summarise(folder: Path) -> None:
        """Summaries and the reference check, written into the run folder before it is
        committed (while the last maps are drawn in the background)."""
        with span("wait_prepare"):
            ahead.wait()
        written["folder"] = folder
        written["paths"], written["check"] = summaries_and_check(
            folder, dataset, folder.name.removeprefix(PARTIAL))

    result = run_scenario_file(loaded, store_root, use_cache=False, progress=ahead,
                               background_maps=maps, before_commit=summarise)
    with span("print"):
        _print_results(console, result, written, started)
    return result.folder


def _print_results(console: Any, result: Any, written: dict[str, Any], started: float) -> None:
    """The demo's tables and closing lines, from the committed run ``result``."""
    import pandas as pd

    def final(path: Path) -> Path:  # a path written into the unfinished run folder, as committed
        return result.folder / Path(path).relative_to(written["folder"])

    paths = {name: final(path) for name, path in written["paths"].items()}
    table_data = pd.read_csv(paths["prefectures"], dtype={"prefecture_adcode": str})
    for title, columns in TABLES:
        present = [(column, header, fmt) for column, header, fmt in columns if column in table_data.columns]
        if not present:
            continue
        console.print(_prefecture_table(title, table_data, present))
    steps = {step["name"]: step for step in result.manifest["steps"]}
    if "water_allocation" in steps:
        water = result.folder / "water_allocation"
        console.print(water_table(pd.read_csv(water / "basin_summary.csv")))
        trade = water / "virtual_water_trade.csv"
        if trade.exists():
            total = pd.read_csv(trade).set_index("crop").loc["total"]
            console.print(f"net virtual-water export of the Belt's crop trade: "
                          f"{total['net_export_hundred_million_m3']:.2f} × 10⁸ m³/yr (crop water use from FAO-56 "
                          "ETc; export shares are illustrative placeholders, "
                          "src/ecociv/data/water/belt_crop_trade_illustrative.csv)")
        console.print(f"water network diagram: {water / 'network_diagram.png'}")
    console.print("Data: ERA5 2000–2025 normals (precipitation; calibrated to gauged runoff for "
                  "water yield and water conservation), FAO-56 Penman–Monteith ET0 derived "
                  "from ERA5, ITU-R P.836, MERRA-2 and published station wind (status 'derived'), "
                  "vegetation cover from an NDVI climatology, MODIS MCD12C1 2019 land cover, "
                  "2020 census; soil texture, habitat and resistance tables are partly "
                  "illustrative defaults; soil carbon is IPCC Tier 1, biomass from published "
                  "Xinjiang figures (see `ecociv data info`). * a unit without census data.")
    console.print(f"per-unit and per-prefecture tables: {paths['units'].parent}")
    check = written["check"]
    if isinstance(check, Exception):
        console.print(f"reference check skipped: {check}")
    else:
        console.print(f"{check.summary()}: {final(check.csv)} (checked in {check.seconds:.1f} s; "
                      f"`ecociv check {result.folder}` prints every row)")
    console.print(f"run {result.run_id} written to {result.folder} in "
                  f"{time.perf_counter() - started:.1f} s")


def run_demo(store_root: Path, progress: ProgressCallback | None = None, *,
             background_maps: bool = False) -> Path:
    """Run the synthetic example scenario into ``store_root`` and print a summary; return the run
    folder. ``progress(step, status)`` is told when each step runs and finishes;
    ``background_maps`` as in :func:`run_belt_demo`."""
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from ecociv.scenario.run_file import run_scenario_file

    # wide enough that names and numbers are never cut, also when output goes to a file
    console = Console(width=max(140, shutil.get_terminal_size((140, 40)).columns))
    started = time.perf_counter()
    scenario = example_scenario()
    console.print(f"ecociv demo: running {scenario} (SYNTHETIC example data; `ecociv demo` without "
                  "--example runs the Belt baseline on real data)")
    result = run_scenario_file(scenario, store_root, use_cache=False, progress=progress,
                               background_maps=background_maps)
    folder = result.folder
    steps = {s["name"]: s for s in result.manifest["steps"]}
    water = pd.read_csv(folder / steps["water_yield"]["outputs"]["watershed_results"])
    carbon = pd.read_csv(folder / steps["carbon"]["outputs"]["carbon_totals"])
    table = Table("zone", "precipitation (mm)", "water yield (mm)", "water yield (10⁸ m³)",
                  "carbon baseline (Mt C)", "carbon scenario (Mt C)", "change (Mt C)",
                  title="Per watershed (synthetic data)")
    for (_, w), (_, c) in zip(water.iterrows(), carbon.iterrows(), strict=True):
        table.add_row(str(c["zone"]), f"{w['precip_mn']:.0f}", f"{w['wyield_mn']:.0f}",
                      f"{w['wyield_vol'] / 1e8:.3f}", f"{c['carbon_baseline_t'] / 1e6:.3f}",
                      f"{c['carbon_scenario_t'] / 1e6:.3f}", f"{c['carbon_change_t'] / 1e6:.4f}")
    console.print(table)
    et0 = pd.read_csv(folder / steps["et0_station"]["outputs"]["et0_table"])
    annual = et0["et0_mm_month"].sum() if "et0_mm_month" in et0 else float("nan")
    console.print(f"ET0 at the synthetic station ({et0['method'].iloc[0]}): {annual:.0f} mm/yr")
    console.print(f"run {result.run_id} written to {folder} in {time.perf_counter() - started:.1f} s")
    return folder

"""The dashboard in a real browser (Debian's Chromium, headless, through Selenium): sign in, edit a
parameter in the lever editor, start a run of the synthetic example scenario, watch its progress
bar to the end, open a raster output on the map, compare two runs, download a report and switch
to Chinese. Screenshots of each stage go to the artifacts folder (see conftest.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.browser.conftest import ADMIN_PASSWORD, PLANNER, VIEWER, Server, artifacts_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]
EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "ecociv" / "data" / "example"


#: the path of the raster shown as tiles once at least one tile of it has loaded, else null
TILES_SHOWN = ("const c = document.querySelector('.raster-layer'); if (!c) return null;"
               "const ok = [...c.querySelectorAll('img.leaflet-tile-loaded')]"
               ".filter(i => i.naturalWidth === 256 && !i.src.startsWith('data:'));"
               "return ok.length ? c.dataset.path : null;")


def _wait(driver: Any, condition: Any, seconds: float = 60, message: str = "") -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.25).until(condition, message)


def _shot(driver: Any, name: str) -> Path:
    path = artifacts_dir() / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def _selected_run(driver: Any, run_id: str) -> None:
    """Wait until the run list shows ``run_id`` as the chosen run (after the run's end event)."""
    script = "return [document.getElementById('run').value, document.getElementById('status').textContent]"
    try:
        _wait(driver, lambda d: d.execute_script(script)[0] == run_id, 120)
    except Exception:
        _shot(driver, "failed-run-selection")
        raise AssertionError(f"run {run_id} not selected: {driver.execute_script(script)}") from None


def _create_example(server: Server) -> str:
    """Upload the example's files and create its scenario as the planner; the scenario id."""
    with server.client(*PLANNER) as planner:
        for path in sorted(EXAMPLE.iterdir()):
            if path.suffix in (".tif", ".csv", ".gpkg"):
                planner.post("/api/v1/uploads", files={"file": (path.name, path.read_bytes())}
                             ).raise_for_status()
        text = (EXAMPLE / "scenario.yaml").read_text(encoding="utf-8")
        answer = planner.post("/api/v1/scenarios", json={"yaml": text})
        answer.raise_for_status()
        return str(answer.json()["id"])


def _sign_in(driver: Any, server: Server, user: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(server.base + "/")
    _wait(driver, lambda d: d.find_element(By.ID, "login-view").is_displayed(), 30, "no sign-in form")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()


def test_sign_in_refused_with_wrong_password(server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    _sign_in(browser, server, PLANNER[0], "not the password")
    error = _wait(browser, lambda d: d.find_element(By.ID, "login-error").text, 30, "no error shown")
    assert "wrong user name or password" in error
    assert not browser.find_element(By.ID, "app-view").is_displayed()


def test_viewer_cannot_start_runs(server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    _sign_in(browser, server, *VIEWER)
    _wait(browser, lambda d: d.find_element(By.ID, "app-view").is_displayed(), 30, "not signed in")
    assert "viewer" in browser.find_element(By.ID, "who").text
    assert not browser.find_element(By.ID, "start").is_enabled()
    assert not browser.find_element(By.ID, "save-levers").is_enabled()
    assert not browser.find_element(By.ID, "make-report").is_enabled()


def test_planner_edits_runs_maps_compares_and_downloads(server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    scenario_id = _create_example(server)
    _sign_in(browser, server, *PLANNER)
    _wait(browser, lambda d: d.find_element(By.ID, "app-view").is_displayed(), 30, "not signed in")
    field = _wait(browser, lambda d: d.find_elements(By.NAME, "water_yield.seasonality_z"), 60,
                  "the lever editor shows no field for water_yield's seasonality_z")[0]
    assert field.get_attribute("value") == "5"  # the example scenario's value
    _shot(browser, "1-signed-in")

    # edit a parameter: an out-of-range value is marked, a valid one is saved into the scenario
    field.clear()
    field.send_keys("-3")
    assert "invalid" in field.get_attribute("class")
    field.clear()
    field.send_keys("7")
    assert "invalid" not in (field.get_attribute("class") or "")
    browser.find_element(By.ID, "save-levers").click()
    _wait(browser, lambda d: d.find_element(By.ID, "status").text == "levers saved", 30, "not saved")
    with server.client(*PLANNER) as planner:
        saved = yaml.safe_load(planner.get(f"/api/v1/scenarios/{scenario_id}").json()["yaml"])
    assert saved["models"][0]["params"]["seasonality_z"] == 7

    # start a run and follow the progress bar to the end
    browser.find_element(By.ID, "start").click()
    _wait(browser, lambda d: d.find_element(By.ID, "cancel").is_displayed(), 30, "run not started")
    seen: set[float] = set()
    deadline = time.monotonic() + 300
    while browser.find_element(By.ID, "progress").get_attribute("data-done") != "1":
        assert "failed" not in browser.find_element(By.ID, "status").text, \
            browser.find_element(By.ID, "status").text
        seen.add(float(browser.find_element(By.ID, "progress").get_attribute("value")))
        assert time.monotonic() < deadline, "the run did not finish in 300 s"
        time.sleep(0.2)
    _shot(browser, "2-run-finished")
    assert float(browser.find_element(By.ID, "progress").get_attribute("value")) == 1.0
    assert len(seen) >= 2, f"the progress bar never moved before the end: {seen}"
    run_id = browser.find_element(By.ID, "status").text.split(": ")[-1]
    assert (server.store / "runs" / run_id / "manifest.json").is_file()
    _wait(browser, lambda d: not d.find_element(By.ID, "cancel").is_displayed(), 30)
    _selected_run(browser, run_id)

    # open a raster output on the map
    radios = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#layer-list input"), 30,
                   "no map layers listed")
    target = next(r for r in radios if r.get_attribute("value").endswith("water_yield.tif"))
    target.click()
    _wait(browser, lambda d: d.execute_script(TILES_SHOWN) == target.get_attribute("value"), 30,
          "no raster tiles shown on the map")
    legend = _wait(browser, lambda d: "min" in d.find_element(By.ID, "legend").text and
                   d.find_element(By.ID, "legend").text, 30, "no legend")
    assert "mm/yr" in legend  # the units of water_yield's output, from its spec
    _shot(browser, "3-map-layer")

    # a layer of the Belt dataset, as Web Mercator tiles over the member units' outlines
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")) >= 30
    dataset = browser.find_elements(By.CSS_SELECTOR, "#dataset-layers input[type=radio]")
    assert len(dataset) >= 5
    dataset[0].click()
    wanted = dataset[0].get_attribute("value")
    _wait(browser, lambda d: d.execute_script(TILES_SHOWN) == wanted, 60,
          "the dataset layer is not shown")
    box = browser.execute_script(  # the extent of the loaded tiles on the page
        "const r = [...document.querySelectorAll('.raster-layer img.leaflet-tile-loaded')]"
        ".map(i => i.getBoundingClientRect());"
        "return [Math.max(...r.map(b => b.right)) - Math.min(...r.map(b => b.left)),"
        "        Math.max(...r.map(b => b.bottom)) - Math.min(...r.map(b => b.top))];")
    assert box[0] > 100 and box[1] > 50, box
    _shot(browser, "3b-dataset-layer")
    # a categorical layer: its classes (names from the dataset) with their colours in the legend
    land_use = next(r for r in dataset if r.get_attribute("value") == "belt:land_use")
    land_use.click()
    _wait(browser, lambda d: d.execute_script(TILES_SHOWN) == "belt:land_use", 120,
          "the land-use layer is not shown")
    swatches = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#legend .swatch"), 30,
                     "no class legend")
    assert len(swatches) == 7 and "cropland" in browser.find_element(By.ID, "legend").text
    _shot(browser, "3c-categorical-layer")

    # a table and its chart
    assert browser.find_elements(By.CSS_SELECTOR, "#table-view td")
    assert browser.find_elements(By.CSS_SELECTOR, "#chart svg rect")
    return_to = run_id

    # a second run with another parameter value, compared with the first
    field = browser.find_element(By.NAME, "water_yield.seasonality_z")
    field.clear()
    field.send_keys("3")
    browser.find_element(By.ID, "start").click()

    def second_done(d: Any) -> str | None:
        text = d.execute_script("return document.getElementById('status').textContent")
        done = text.startswith("completed: ") and text.split(": ")[-1] != return_to
        return text.split(": ")[-1] if done else None

    second = _wait(browser, second_done, 300, "the second run did not finish")
    _selected_run(browser, second)
    Select(browser.find_element(By.ID, "compare")).select_by_value(return_to)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#compare-view td"), 30, "no comparison")
    header = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#compare-view th")]
    assert header[1:] == [second, return_to, "difference"]
    _shot(browser, "4-comparison")

    # a report of the run (written as `ecociv report` writes it) downloaded from the dashboard
    from ecociv.report.html import build_report

    build_report([server.store / "runs" / second], server.store / "runs" / second / "report.html",
                 lang="en")
    Select(browser.find_element(By.ID, "run")).select_by_value(return_to)
    Select(browser.find_element(By.ID, "run")).select_by_value(second)
    link = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "a.report-link[href$='report.html']"),
                 30, "no report link")[0]
    link.click()
    downloaded = browser.downloads / "report.html"
    deadline = time.monotonic() + 30
    while not downloaded.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert downloaded.is_file(), list(browser.downloads.iterdir())
    assert downloaded.read_bytes() == (server.store / "runs" / second / "report.html").read_bytes()

    # Chinese
    Select(browser.find_element(By.ID, "lang")).select_by_value("zh")
    assert browser.find_element(By.ID, "start").text == "开始运行"
    assert browser.find_element(By.CSS_SELECTOR, "#login-view h2").get_attribute("textContent") == "登录"
    _shot(browser, "5-chinese")
    assert ADMIN_PASSWORD not in (server.store / "server.log").read_text(errors="replace")


WATER_LEVERS = """name: water_levers
models:
  - id: water_allocation
    inputs:
      network: belt_network
levers:
  water:
    irrigation_efficiency: 0.6
"""


def test_lever_group_fields_and_strategy_preset(server: Server, browser: Any) -> None:
    """water_allocation reads ``levers.water`` (its spec's lever_group): one field per lever key;
    the S2 strategy's levers (data/strategies/s2_water_land.yaml) fill them and are saved."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from ecociv.strategies.catalog import STRATEGIES

    s2 = yaml.safe_load(next(s for s in STRATEGIES if s.id == "S2").path.read_text(encoding="utf-8"))
    with server.client(*PLANNER) as planner:
        sid = planner.post("/api/v1/scenarios", json={"yaml": WATER_LEVERS}).json()["id"]
    _sign_in(browser, server, *PLANNER)
    _wait(browser, lambda d: d.find_element(By.ID, "app-view").is_displayed(), 30, "not signed in")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#scenario option[value='{sid}']"), 30)
    Select(browser.find_element(By.ID, "scenario")).select_by_value(sid)
    field = _wait(browser, lambda d: d.find_elements(By.NAME, "water.irrigation_efficiency"), 30,
                  "no field for the water lever irrigation_efficiency")[0]
    assert field.get_attribute("value") == "0.6"
    assert browser.find_elements(By.NAME, "water.lake_minimum_inflow")  # a key of the spec
    Select(browser.find_element(By.ID, "preset")).select_by_value("S2")
    status = browser.find_element(By.ID, "status").text
    assert "S2" in status and "land_use" not in status  # S2's land_use group is empty
    assert "industry" in status  # S2 sets industry levers, which this scenario does not read
    assert float(field.get_attribute("value")) == s2["levers"]["water"]["irrigation_efficiency"]
    _shot(browser, "6-strategy-preset")
    browser.find_element(By.ID, "save-levers").click()
    _wait(browser, lambda d: d.find_element(By.ID, "status").text == "levers saved", 30, "not saved")
    with server.client(*PLANNER) as planner:
        saved = yaml.safe_load(planner.get(f"/api/v1/scenarios/{sid}").json()["yaml"])["levers"]
    assert saved["water"] == {**{"irrigation_efficiency": 0.6}, **s2["levers"]["water"]}

    # a scenario of one's own from the shipped S2 file, as it is (it names the shipped network)
    Select(browser.find_element(By.ID, "preset")).select_by_value("S2")
    browser.find_element(By.ID, "from-strategy").click()
    _wait(browser, lambda d: "scenario created from strategy S2" in
          d.find_element(By.ID, "status").text, 30, "no scenario made from S2")
    chosen = browser.find_element(By.ID, "scenario").get_attribute("value")
    with server.client(*PLANNER) as planner:
        made = planner.get(f"/api/v1/scenarios/{chosen}").json()
        assert made["yaml"] == next(s for s in STRATEGIES if s.id == "S2").path.read_text(
            encoding="utf-8")
        check = planner.post(f"/api/v1/scenarios/{chosen}/validate").json()
    assert check["valid"], check["problems"]
    _wait(browser, lambda d: d.find_elements(By.NAME, "water.irrigation_efficiency"), 30)
    _shot(browser, "6b-scenario-from-strategy")


def _run_example(server: Server) -> str:
    """Run the example scenario through the API as the planner; its run id."""
    scenario_id = _create_example(server)
    with server.client(*PLANNER) as planner:
        job = planner.post("/api/v1/runs", json={"scenario_id": scenario_id}).json()["id"]
        deadline = time.monotonic() + 300
        while (row := planner.get(f"/api/v1/runs/{job}").json())["status"] not in (
                "completed", "failed", "cancelled", "interrupted"):
            assert time.monotonic() < deadline, "the example run did not finish in 300 s"
            time.sleep(0.5)
    assert row["status"] == "completed", row
    return str(row["run_id"])


def test_make_report_button(server: Server, browser: Any) -> None:
    """"Make report" writes the chosen run's report in the page's language (Chinese here) through
    POST /results/{run}/reports, shows that it is being written, then links the written file,
    which downloads byte-identical; a run that failed shows the report's own error."""
    import json

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    run_id = _run_example(server)
    _sign_in(browser, server, *PLANNER)
    _wait(browser, lambda d: d.find_element(By.ID, "app-view").is_displayed(), 30, "not signed in")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#run option[value='{run_id}']"), 30)
    Select(browser.find_element(By.ID, "run")).select_by_value(run_id)
    Select(browser.find_element(By.ID, "lang")).select_by_value("zh")
    button = browser.find_element(By.ID, "make-report")
    assert button.text == "生成报告" and button.is_enabled()
    button.click()
    link = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR,
                                                    "a.report-link[href$='report-zh.html']"),
                 180, "no link to the written report")[0]
    written = server.store / "runs" / run_id / "report-zh.html"
    assert written.is_file() and "报告已生成" in browser.find_element(By.ID, "report-status").text
    assert not browser.find_element(By.ID, "report-progress").is_displayed()
    browser.execute_script("arguments[0].scrollIntoView()", link)
    _shot(browser, "7-report-made")
    link.click()
    downloaded = browser.downloads / "report-zh.html"
    deadline = time.monotonic() + 30
    while not downloaded.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert downloaded.is_file(), list(browser.downloads.iterdir())
    assert downloaded.read_bytes() == written.read_bytes()

    # a failed run: the report's message is shown as an error, no link appears
    manifest_path = server.store / "runs" / run_id / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["status"] = "failed"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    written.unlink()
    Select(browser.find_element(By.ID, "lang")).select_by_value("en")
    browser.find_element(By.ID, "make-report").click()
    _wait(browser, lambda d: "error" in (d.find_element(By.ID, "report-status")
                                         .get_attribute("class") or ""), 60, "no error shown")
    assert "failed" in browser.find_element(By.ID, "report-status").text
    assert not written.is_file()
    _shot(browser, "8-report-error")

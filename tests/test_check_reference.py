"""The reference table loader: every bad input is one InputError naming file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecociv.check.places import Places
from ecociv.check.reference import load_reference
from ecociv.errors import InputError
from ecociv.region.dataset import load_dataset
from tests.check_fixtures import cell_lonlat, make_dataset, write_rows

GOOD = ("wr-1,total water resources,prefecture,650000,,,2,,,0.3,1e8 m**3/yr,2000,"
        "water_yield.water_yield:sum,Somebody 2020 Table 1,,verified,")


@pytest.fixture
def places(tmp_path: Path) -> Places:
    return Places.from_dataset(load_dataset(make_dataset(tmp_path / "tiny"), check=False))


def _error(path: Path, places: Places) -> str:
    with pytest.raises(InputError) as caught:
        load_reference(path, places)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_a_good_row_resolves_its_range_from_the_tolerance(tmp_path: Path, places: Places) -> None:
    rows = load_reference(write_rows(tmp_path / "a.csv", GOOD), places)
    assert len(rows) == 1
    assert rows[0].low == pytest.approx(1.4) and rows[0].high == pytest.approx(2.6)
    assert str(rows[0].output) == "water_yield.water_yield:sum"


def test_a_folder_concatenates_its_csv_files(tmp_path: Path, places: Places) -> None:
    folder = tmp_path / "ref"
    folder.mkdir()
    write_rows(folder / "a.csv", GOOD)
    write_rows(folder / "b.csv", GOOD.replace("wr-1", "wr-2"))
    (folder / "README.md").write_text("not a table")
    assert [r.id for r in load_reference(folder, places)] == ["wr-1", "wr-2"]


def test_a_context_row_needs_no_range(tmp_path: Path, places: Places) -> None:
    row = "ctx,total,region,Xinjiang,,,726.9,,,,1e8 m**3/yr,2014,,Bulletin 2014,,uncertain,"
    (loaded,) = load_reference(write_rows(tmp_path / "a.csv", row), places)
    assert loaded.output is None and loaded.low == loaded.high == 726.9


@pytest.mark.parametrize(("row", "where", "says"), [
    (GOOD.replace("Somebody 2020 Table 1", ""), "column 'citation'", "citation is missing"),
    (GOOD.replace(",650000,", ",659999,"), "column 'place'", "unknown prefecture '659999'"),
    (GOOD.replace("prefecture,650000", "unit,650003"), "column 'place'", "unknown unit '650003'"),
    (GOOD.replace("prefecture,650000", "basin,Alfa"), "column 'place'", "did you mean 'Alpha'"),
    (GOOD.replace("prefecture,650000", "lake,Ebinur Lake"), "column 'place'", "unknown lake"),
    (GOOD.replace("prefecture,650000", "province,650000"), "column 'place_kind'", "expected one of"),
    (GOOD.replace("prefecture,650000", "units,650001+650009"), "column 'place'", "unknown: '650009'"),
    (GOOD.replace("prefecture,650000", "units,650001"), "column 'place'", "two or more adcodes"),
    (GOOD.replace("prefecture,650000,,", "station,Urumqi,,"), "column 'lon'", "needs its coordinates"),
    (GOOD.replace("prefecture,650000,,", "gauge,Kensiwate,85.95,"), "column 'lat'",
     "needs its coordinates"),
    (GOOD.replace("prefecture,650000,,", "gauge,Far away,10.0,50.0"), "column 'lon'", "outside the grid"),
    (GOOD.replace("1e8 m**3/yr", "t/ha"), "column 'unit'", "does not convert"),
    (GOOD.replace("1e8 m**3/yr", "furlongs of water"), "column 'unit'", "unknown unit"),
    (GOOD.replace(",,,0.3,", ",3,1,,"), "column 'low'", "low 3 > high 1"),
    (GOOD.replace(",,,0.3,", ",1,,,"), "column 'high'", "give both low and high"),
    (GOOD.replace(",,,0.3,", ",,,,"), "column 'tolerance'", "no range"),
    (GOOD.replace(",,,0.3,", ",,,-0.3,"), "column 'tolerance'", "negative"),
    (GOOD.replace(",2,,", ",two,,"), "column 'value'", "expected a number"),
    (GOOD.replace(",verified,", ",probably,"), "column 'citation_status'", "expected one of"),
    (GOOD.replace("water_yield.water_yield:sum", "water_yeld.water_yield:sum"), "column 'model_output'",
     "did you mean 'water_yield'"),
    (GOOD.replace("water_yield.water_yield:sum", "water_yield.wateryield:sum"), "column 'model_output'",
     "has no output"),
    (GOOD.replace("water_yield.water_yield:sum", "sand_fixation.sand_fixation_monthly:sum").replace(
        "1e8 m**3/yr", "t/yr"), "column 'model_output'", "one band per month"),
    (GOOD.replace("water_yield.water_yield:sum", "water_yield.precipitation:sum").replace(
        "1e8 m**3/yr", "t/yr"), "column 'unit'", "does not convert"),
    (GOOD.replace("water_yield.water_yield:sum", "water_yield.water_yield:median"),
     "column 'model_output'", "expected one of sum, mean, share, point"),
    (GOOD.replace("water_yield.water_yield:sum", "water_yield.water_yield:point"),
     "column 'model_output'", "needs a gauge or station"),
    (GOOD.replace("water_yield.water_yield:sum", "water_yield"), "column 'model_output'",
     "is not '<model>.<output>:<statistic>'"),
    (GOOD.replace("water_yield.water_yield:sum", "water_allocation.lakes:depth_mean"),
     "column 'model_output'", "has no column 'depth'"),
    (GOOD.replace("water_yield.water_yield:sum", "water_allocation.lakes:area_median"),
     "column 'model_output'", "aggregate one of"),
    (GOOD.replace("wr-1,", ",", 1), "column 'id'", "'id' is empty"),
])
def test_bad_rows_name_file_line_and_column(tmp_path: Path, places: Places, row: str, where: str,
                                            says: str) -> None:
    message = _error(write_rows(tmp_path / "bad.csv", GOOD.replace("wr-1", "ok-1"), row), places)
    assert f"line 3, {where}" in message
    assert says in message


def test_a_point_inside_the_grid_is_accepted(tmp_path: Path, places: Places) -> None:
    lon, lat = cell_lonlat(1, 2)
    row = f"st-1,aet,station,Somewhere,{lon},{lat},100,,,0.2,mm/yr,2000,water_yield.aet:point,A 2020,,verified,"
    (loaded,) = load_reference(write_rows(tmp_path / "a.csv", row), places)
    assert places.on_grid(loaded.lon, loaded.lat) == (1, 2)  # type: ignore[arg-type]


def test_duplicate_ids_across_files_name_both(tmp_path: Path, places: Places) -> None:
    folder = tmp_path / "ref"
    folder.mkdir()
    write_rows(folder / "a.csv", GOOD)
    second = write_rows(folder / "b.csv", GOOD)
    with pytest.raises(InputError) as caught:
        load_reference(folder, places)
    message = str(caught.value)
    assert str(second) in message and "line 2, column 'id'" in message
    assert "duplicate id 'wr-1'" in message and "a.csv, line 2" in message


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty file"),
    ("id,quantity,place\nx,y,belt\n", "header lacks column(s) place_kind"),
    (f"{GOOD.split(',')[0]}\n", "header lacks"),
])
def test_bad_files(tmp_path: Path, places: Places, text: str, says: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    assert says in _error(path, places)


def test_an_unknown_column_is_named(tmp_path: Path, places: Places) -> None:
    path = write_rows(tmp_path / "bad.csv", GOOD + ",extra")
    path.write_text(path.read_text().replace("note\n", "note,citaton\n", 1))
    assert "unknown column(s) 'citaton'" in _error(path, places)


def test_more_cells_than_columns(tmp_path: Path, places: Places) -> None:
    assert "line 2: more cells than header columns" in _error(
        write_rows(tmp_path / "bad.csv", GOOD + ",x,y"), places)


def test_not_utf8_and_missing_files(tmp_path: Path, places: Places) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(write_rows(tmp_path / "x.csv", GOOD.replace("Somebody", "水利厅"))
                     .read_text(encoding="utf-8").encode("gbk"))
    assert "not UTF-8" in _error(path, places)
    assert "not found" in _error(tmp_path / "missing.csv", places)
    (tmp_path / "empty").mkdir()
    assert "holds no *.csv" in _error(tmp_path / "empty", places)


def test_the_shipped_belt_reference_table_loads() -> None:
    dataset = load_dataset(check=False)
    rows = load_reference(dataset.root / "reference", Places.from_dataset(dataset))
    assert len({r.id for r in rows}) == len(rows)
    assert all(r.citation and r.citation_status in ("verified", "uncertain") for r in rows)


@pytest.mark.parametrize(("name", "key"), [("Ebinur Lake", "ebinur_lake"), ("Manas Lake (dry bed)", "manas_lake"),
                                           ("ebinur_lake", "ebinur_lake")])
def test_lake_names_match_the_water_network(name: str, key: str) -> None:
    from ecociv.check.places import lake_key

    assert lake_key(name) == key

"""ecociv.reuse: parts of a run that read no lever are computed once per scope, and a run with
reuse gives exactly what a run without it gives (land_use_change's suitability fit, whose
cropland-reduction lever changes only the demand)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecociv import reuse
from ecociv.execute import load_inputs
from ecociv.execute.run import compute_in_memory, split_values
from ecociv.registry import get_model


def test_kept_computes_once_per_scope_and_copies() -> None:
    reuse.clear()
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [1, 2]

    assert reuse.kept("t.part", compute) == [1, 2] and reuse.kept("t.part", compute) == [1, 2]
    assert len(calls) == 2, "no scope: computed every time"
    with reuse.scope("a"):
        first = reuse.kept("t.part", compute)
        first.append(3)  # the caller's copy
        assert reuse.kept("t.part", compute) == [1, 2]
    assert len(calls) == 3
    with reuse.scope("b"):
        reuse.kept("t.part", compute)
    assert len(calls) == 4, "another scope key: computed again"
    for key in "cdefg":  # at most KEEP results are kept
        with reuse.scope(key):
            reuse.kept("t.part", compute)
    with reuse.scope("a"):
        reuse.kept("t.part", compute)
    assert len(calls) == 10
    reuse.clear()


def _run(levers: dict[str, object]) -> dict[str, object]:
    model = get_model("land_use_change")
    example = model.example()
    classes = pd.concat([example["classes"], pd.DataFrame({"lucode": [5], "name": ["built-up"]})],
                        ignore_index=True)  # a class the levers need (none on the map)
    sources, params = split_values(model, {**example, "classes": classes, "levers": levers})
    return compute_in_memory(model, load_inputs(model, sources, params))


def test_land_use_change_with_reused_suitability_equals_a_plain_run() -> None:
    reuse.clear()
    cases = [{"cropland_reduction": {"share": share, "to": 3}} for share in (0.02, 0.08)]
    plain = [_run(levers) for levers in cases]
    with reuse.scope("land use example, levers apart"):
        reused = [_run(levers) for levers in cases]
    assert len(reuse._kept) == 1, "the fit was computed once for both lever values"
    reuse.clear()
    for a, b in zip(plain, reused, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], pd.DataFrame):
                pd.testing.assert_frame_equal(a[key], b[key])
            else:
                np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))
    # the lever does reach the result: a larger cut leaves less cropland
    crop = [run["cropland_area"] for run in plain]
    last = [frame[frame["year"] == frame["year"].max()]["cropland_km2"].sum() for frame in crop]
    assert last[1] < last[0]


def test_a_yaml_file_is_parsed_once_per_content_and_copied(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ecociv.io import yaml_files

    path = tmp_path / "network.yaml"
    path.write_text("nodes: [a, b]\n")
    first = yaml_files.load_yaml(path)
    first["nodes"].append("c")  # the caller's copy
    assert yaml_files.load_yaml(path) == {"nodes": ["a", "b"]}
    path.write_text("nodes: [a]\n")  # new content: parsed again
    assert yaml_files.load_yaml(path) == {"nodes": ["a"]}

"""Hand-written YAML files: encoding, duplicate keys and syntax errors name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecociv.errors import InputError
from ecociv.io import yaml_files
from ecociv.io.yaml_files import load_yaml, parse_yaml


def test_reads_utf8_with_and_without_bom(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: 基线\nyears: [2020, 2035]\n", encoding="utf-8")
    bom = tmp_path / "bom.yaml"
    bom.write_text("name: 基线\n", encoding="utf-8-sig")  # as Windows Notepad saves it
    assert load_yaml(plain) == {"name": "基线", "years": [2020, 2035]}
    assert load_yaml(bom) == {"name": "基线"}


def test_gbk_file_names_file_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    # "基" in GBK is b"\xbb\xf9"; it starts at byte 15 + 8 = 23, on line 2
    path.write_bytes("name: baseline\nregion: 基线\n".encode("gbk"))
    with pytest.raises(InputError) as err:
        load_yaml(path, what="scenario file")
    message = str(err.value)
    assert str(path) in message
    assert "scenario file is not UTF-8 text" in message
    assert "byte offset 23 (line 2)" in message
    assert "0xbb" in message


def test_binary_and_utf16_files_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "raster.yaml"
    binary.write_bytes(b"II*\x00\x08\x00\x00\x00")  # a TIFF header
    with pytest.raises(InputError, match=r"raster.yaml: YAML file is not a text file \(a NUL byte "
                       r"at byte offset 3, line 1\); it must be UTF-8 text"):
        load_yaml(binary)
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_text("name: x\n", encoding="utf-16")
    with pytest.raises(InputError, match="UTF-16 text; it must be UTF-8"):
        load_yaml(utf16)


def test_duplicate_key_names_key_and_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: a\nmodels:\n  - id: x\n    params:\n      z: 1\n      z: 2\n")
    with pytest.raises(InputError) as err:
        load_yaml(path)
    assert str(path) in str(err.value)
    assert "duplicate key 'z': given on line 5 and again on line 6" in str(err.value)


def test_duplicate_top_level_key(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="duplicate key 'levers': given on line 1 and again on line 3"):
        parse_yaml("levers: {}\nname: a\nlevers: {water: {}}\n", source="s.yaml")


def test_merge_keys_may_be_overridden() -> None:
    text = "base: &b {a: 1, b: 2}\nderived:\n  <<: *b\n  b: 3\n"
    assert parse_yaml(text, source="x")["derived"] == {"a": 1, "b": 3}


def test_same_key_in_different_mappings_is_fine() -> None:
    assert parse_yaml("a: {x: 1}\nb: {x: 2}\n", source="x") == {"a": {"x": 1}, "b": {"x": 2}}


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nmodels: [\n  - a: b\n")
    with pytest.raises(InputError) as err:
        load_yaml(path)
    message = str(err.value)
    assert message.startswith(f"{path}: line 3, column 3: not valid YAML")
    assert "unicode string" not in message


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="network file does not exist"):
        load_yaml(tmp_path / "nope.yaml", what="network file")
    with pytest.raises(InputError, match="this is a folder"):
        load_yaml(tmp_path)


def test_empty_file_is_none(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("  \n# only a comment\n")
    assert load_yaml(path) is None


def test_dataset_manifest_read_as_hand_written_yaml(tmp_path: Path) -> None:
    from ecociv.region.dataset import load_dataset

    (tmp_path / "dataset.yaml").write_text("name: mine\nname: again\nlayers: []\n")
    with pytest.raises(InputError, match=r"dataset.yaml: line 2, column 1: .*duplicate key 'name'"):
        load_dataset(tmp_path)
    (tmp_path / "dataset.yaml").write_bytes("name: 天山\n".encode("gbk"))
    with pytest.raises(InputError, match="dataset manifest is not UTF-8 text"):
        load_dataset(tmp_path)


def test_mapping_parameter_file_read_as_hand_written_yaml(tmp_path: Path) -> None:
    from ecociv.io.params import parse_param
    from ecociv.spec import ParamInput

    spec = ParamInput(id="levers", about="levers", units=None, dtype="mapping")
    path = tmp_path / "levers.yaml"
    path.write_bytes("irrigation_efficiency: 0.7  # 灌溉\n".encode("gbk"))
    with pytest.raises(InputError, match=r"levers.yaml: file of parameter 'levers' is not UTF-8"):
        parse_param(spec, str(path))
    path.write_text("transfers: {}\ntransfers: {a: true}\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate key 'transfers': given on line 1 and again on line 2"):
        parse_param(spec, str(path))
    with pytest.raises(InputError, match="duplicate key 'a'"):
        parse_param(spec, "{a: 1, a: 2}")
    path.write_text("irrigation_efficiency: 0.7\n", encoding="utf-8")
    assert parse_param(spec, str(path)) == {"irrigation_efficiency": 0.7}


SHIPPED_YAML = sorted((Path(__file__).parents[1] / "src" / "ecociv" / "data").rglob("*.y*ml"))


@pytest.mark.skipif(yaml_files._FastLoader is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: p.name)
def test_libyaml_loader_gives_the_pure_python_loaders_data(path: Path) -> None:
    # every YAML file ecociv ships (scenarios, dataset manifest, water network): the libyaml
    # scanner/parser must build the same document as PyYAML's pure-Python SafeLoader did
    text = path.read_text(encoding="utf-8-sig")
    fast = yaml.load(text, Loader=yaml_files._FastLoader)
    slow = yaml.load(text, Loader=yaml_files._StrictLoader)
    assert fast == slow
    assert parse_yaml(text, source=str(path)) == slow


@pytest.mark.skipif(yaml_files._FastLoader is None, reason="PyYAML built without libyaml")
def test_libyaml_loader_refuses_duplicate_keys_too() -> None:
    text = "a: 1\nb:\n  c: 2\n  c: 3\n"
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key 'c': given on line 3 "
                       "and again on line 4"):
        yaml.load(text, Loader=yaml_files._FastLoader)

"""Registry: built-ins, entry-point plugins, broken plugins warn instead of crashing."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from ecociv import registry
from ecociv.errors import ModelNotFoundError


@pytest.fixture
def fake_plugins(monkeypatch: pytest.MonkeyPatch):
    def install(*entries: EntryPoint) -> None:
        monkeypatch.setattr(registry, "entry_points", lambda group: list(entries))
        registry.all_models.cache_clear()
        registry._plugins.cache_clear()

    yield install
    registry.all_models.cache_clear()
    registry._plugins.cache_clear()


def test_plugin_model_is_registered(fake_plugins) -> None:
    # a plugin may point at any Model object; reuse carbon's under a module path that exists
    fake_plugins(EntryPoint(name="carbon_copy", value="tests.plugin_models:COPY", group="ecociv.models"))
    models = registry.all_models()
    assert "carbon_copy" in models
    assert models["carbon_copy"].spec.id == "carbon_copy"


def test_broken_plugin_warns_and_is_skipped(fake_plugins) -> None:
    fake_plugins(
        EntryPoint(name="broken", value="no_such_package.models:MODEL", group="ecociv.models"),
        EntryPoint(name="wrong_type", value="tests.plugin_models:NOT_A_MODEL", group="ecociv.models"),
    )
    with pytest.warns(registry.PluginWarning) as caught:
        models = registry.all_models()
    messages = " ".join(str(w.message) for w in caught)
    assert "broken" in messages and "no_such_package" in messages
    assert "wrong_type" in messages and "not an ecociv.spec.Model" in messages
    assert {"carbon", "water_yield", "et0"} <= set(models)


def test_plugin_cannot_replace_a_builtin(fake_plugins) -> None:
    fake_plugins(EntryPoint(name="evil", value="tests.plugin_models:SHADOW", group="ecociv.models"))
    with pytest.warns(registry.PluginWarning, match="already registered"):
        models = registry.all_models()
    assert models["carbon"] is registry.get_model("carbon")
    assert models["carbon"].spec.title == "Carbon storage"


def test_unknown_model_suggests_close_ids() -> None:
    with pytest.raises(ModelNotFoundError, match=r"no model with id 'water_yeild'.*'water_yield'"):
        registry.get_model("water_yeild")


def test_specs_are_those_of_the_models(fake_plugins) -> None:
    # `ecociv models` / `model describe` read the specs without loading the models' code: the
    # same objects, for built-ins and plugins alike
    fake_plugins(EntryPoint(name="carbon_copy", value="tests.plugin_models:COPY", group="ecociv.models"))
    specs, models = registry.all_specs(), registry.all_models()
    assert list(specs) == list(models)
    for model_id, model in models.items():
        assert specs[model_id] is model.spec
        assert registry.get_spec(model_id) is model.spec


def test_unknown_spec_suggests_close_ids() -> None:
    with pytest.raises(ModelNotFoundError, match=r"no model with id 'carbn'.*'carbon'"):
        registry.get_spec("carbn")

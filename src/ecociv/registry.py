"""The model registry: built-in models plus those other packages declare under the
``ecociv.models`` entry-point group. A broken plugin is reported as a warning, never a crash.

A built-in model's spec lives in its own light module (``ecociv.models.<id>.spec``), so
:func:`get_spec` and :func:`all_specs` (what ``ecociv models`` and ``ecociv model describe`` use)
do not import the numerical libraries that running a model needs."""

from __future__ import annotations

import importlib
import warnings
from functools import lru_cache
from importlib.metadata import entry_points

from ecociv.errors import ModelNotFoundError
from ecociv.spec import Model, ModelSpec

BUILTIN_MODELS: dict[str, str] = {
    "et0": "ecociv.models.et0.model:MODEL",
    "water_yield": "ecociv.models.water_yield.model:MODEL",
    "carbon": "ecociv.models.carbon.model:MODEL",
    "soil_conservation": "ecociv.models.soil_conservation.model:MODEL",
    "water_conservation": "ecociv.models.water_conservation.model:MODEL",
    "ecological_redline": "ecociv.models.ecological_redline.model:MODEL",
    "double_evaluation": "ecociv.models.double_evaluation.model:MODEL",
    "ecological_security_pattern": "ecociv.models.ecological_security_pattern.model:MODEL",
    "sand_fixation": "ecociv.models.sand_fixation.model:MODEL",
    "ecological_sensitivity": "ecociv.models.ecological_sensitivity.model:MODEL",
    "habitat_quality": "ecociv.models.habitat_quality.model:MODEL",
    "water_allocation": "ecociv.models.water_allocation.model:MODEL",
    "rights_market": "ecociv.models.rights_market.model:MODEL",
    "land_use_change": "ecociv.models.land_use_change.model:MODEL",
    "emission_inventory": "ecociv.models.emission_inventory.model:MODEL",
    "embodied_flows": "ecociv.models.embodied_flows.model:MODEL",
    "spatial_planning": "ecociv.models.spatial_planning.model:MODEL",
    "pollution_control": "ecociv.models.pollution_control.model:MODEL",
    "industry_structure": "ecociv.models.industry_structure.model:MODEL",
    "park_risk": "ecociv.models.park_risk.model:MODEL",
    "green_indicators": "ecociv.models.green_indicators.model:MODEL",
    "total_load_allocation": "ecociv.models.total_load_allocation.model:MODEL",
    "eco_compensation": "ecociv.models.eco_compensation.model:MODEL",
    "asset_accounts": "ecociv.models.asset_accounts.model:MODEL",
    "eco_assessment": "ecociv.models.eco_assessment.model:MODEL",
}

ENTRY_POINT_GROUP = "ecociv.models"


class PluginWarning(UserWarning):
    """A model plugin could not be loaded or conflicts with another model."""


def _load(target: str) -> Model:
    module_name, _, attribute = target.partition(":")
    model = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(model, Model):
        raise TypeError(f"{target} is a {type(model).__name__}, not an ecociv.spec.Model")
    return model


def _spec_target(model_target: str) -> str:
    """``ecociv.models.x.model:MODEL`` -> ``ecociv.models.x.spec:SPEC``."""
    module_name = model_target.partition(":")[0]
    return f"{module_name.rpartition('.')[0]}.spec:SPEC"


def _load_spec(model_id: str) -> ModelSpec:
    module_name, _, attribute = _spec_target(BUILTIN_MODELS[model_id]).partition(":")
    spec = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(spec, ModelSpec) or spec.id != model_id:
        raise RuntimeError(f"{module_name}.{attribute} is not the ModelSpec of {model_id!r}")
    return spec


@lru_cache(maxsize=1)
def _plugins() -> dict[str, Model]:
    """The plugin models by id: those that load and do not reuse a built-in (or earlier) id."""
    models: dict[str, Model] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            model = _load(entry.value)
        except Exception as err:  # a plugin can fail in any way; it must not break the CLI
            warnings.warn(
                f"model plugin '{entry.name}' ({entry.value}) could not be loaded and is skipped: "
                f"{type(err).__name__}: {err}",
                PluginWarning,
                stacklevel=3,
            )
            continue
        if model.spec.id in BUILTIN_MODELS or model.spec.id in models:
            warnings.warn(
                f"model plugin '{entry.name}' ({entry.value}) declares id '{model.spec.id}', "
                "which is already registered; the plugin is skipped",
                PluginWarning,
                stacklevel=3,
            )
            continue
        models[model.spec.id] = model
    return models


@lru_cache(maxsize=1)
def all_models() -> dict[str, Model]:
    """Every registered model by id, built-ins first; plugins cannot replace a built-in id."""
    models: dict[str, Model] = {}
    for model_id, target in BUILTIN_MODELS.items():
        model = _load(target)
        if model.spec.id != model_id:
            raise RuntimeError(f"built-in {target} declares id {model.spec.id!r}, not {model_id!r}")
        models[model_id] = model
    models.update(_plugins())
    return models


def all_specs() -> dict[str, ModelSpec]:
    """The spec of every registered model by id, as :func:`all_models` lists them, without
    loading the code of the built-in models (only their spec modules)."""
    specs = {model_id: _load_spec(model_id) for model_id in BUILTIN_MODELS}
    specs.update({model_id: model.spec for model_id, model in _plugins().items()})
    return specs


def get_spec(model_id: str) -> ModelSpec:
    """The spec of the model registered as ``model_id`` (a built-in's without loading its code);
    an unknown id names the closest known ones."""
    if model_id in BUILTIN_MODELS:
        return _load_spec(model_id)
    return get_model(model_id).spec


def get_model(model_id: str) -> Model:
    """The model registered as ``model_id``; an unknown id names the closest known ones."""
    if model_id in BUILTIN_MODELS:
        return _load(BUILTIN_MODELS[model_id])
    models = all_models()
    if model_id in models:
        return models[model_id]
    import difflib

    close = difflib.get_close_matches(model_id, list(models), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ModelNotFoundError(
        f"no model with id {model_id!r}{hint} Known models: {', '.join(sorted(models))}"
    )

"""Models used by tests/test_registry.py as if they came from a third-party plugin package."""

from ecociv.models.carbon.model import MODEL as _CARBON
from ecociv.spec import Model

COPY = Model(spec=_CARBON.spec.model_copy(update={"id": "carbon_copy"}), run=_CARBON.run,
             example=_CARBON.example)
SHADOW = Model(spec=_CARBON.spec.model_copy(update={"title": "not the real one"}), run=_CARBON.run,
               example=_CARBON.example)
NOT_A_MODEL = object()

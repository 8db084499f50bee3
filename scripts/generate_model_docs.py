"""Write docs/models/<id>.md for every registered model from its spec."""

from __future__ import annotations

from pathlib import Path

from ecociv.docs import model_reference
from ecociv.registry import all_models

DOCS = Path(__file__).resolve().parents[1] / "docs" / "models"


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    index = ["# Model reference", "", "| id | title | 中文 |", "|---|---|---|"]
    for model_id, model in sorted(all_models().items()):
        (DOCS / f"{model_id}.md").write_text(model_reference(model.spec), encoding="utf-8")
        index.append(f"| [`{model_id}`]({model_id}.md) | {model.spec.title} | {model.spec.title_zh} |")
    (DOCS / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

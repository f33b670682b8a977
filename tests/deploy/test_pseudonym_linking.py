"""docs/pseudonymisation.md stays true: it lists every pseudonymised contract column, and no dbt
model links the pseudonyms of two feeds (which is what makes separate per-feed keys safe)."""
from __future__ import annotations

import re
from pathlib import Path

from ingest.contracts import all_contracts

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "pseudonymisation.md"
MODELS = ROOT / "dbt_project" / "models"


def pseudonymised() -> dict[str, str]:
    return {c.feed: col.name for c in all_contracts() for col in c.columns if col.personal == "pseudonymise"}


def test_the_doc_lists_every_pseudonymised_column():
    rows = set(re.findall(r"^\| `([a-z_]+)` \| `([a-z_]+)` \|", DOC.read_text(), flags=re.M))
    assert rows == set(pseudonymised().items())


def test_no_model_mixes_the_pseudonyms_of_two_feeds():
    # The column names a feed's pseudonym goes by in raw, staging and marts.
    names = {"politie_registraties": {"registratienummer_pseudoniem", "registratie_pseudoniem"},
             "om_instroom": {"parketnummer_pseudoniem"},
             "riec_casussen": {"casusnummer_pseudoniem", "casus_pseudoniem"}}
    assert set(names) == set(pseudonymised())
    mixing = {}
    for model in MODELS.rglob("*.sql"):
        text = model.read_text()
        mentioned = set(re.findall(r"\b\w+_pseudoniem\b", text))
        unknown = mentioned - set().union(*names.values())
        assert not unknown, f"{model.name} uses pseudonym columns this test does not know: {unknown}"
        feeds = {feed for feed, cols in names.items() if cols & mentioned}
        if len(feeds) > 1:
            mixing[model.name] = feeds
        if model.is_relative_to(MODELS / "reporting"):
            assert not mentioned, f"{model.name} publishes a pseudonym"
    assert not mixing, f"models that link pseudonyms across feeds (update docs/pseudonymisation.md): {mixing}"

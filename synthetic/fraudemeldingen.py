"""Synthetic fraud reports of the banks and the Fraudehelpdesk (feed fraudemeldingen), monthly JSON.

Volumes follow the police model's expected registrations per gemeente and modus, times what each
partner sees of that modus (banks see payment fraud, not sextortion), so the three sources tell
one story with a different dark number per modus.
"""
from __future__ import annotations

import json
from datetime import timedelta

import numpy as np

from synthetic.common import MODI, Month, contract, gemeenten, rng_for
from synthetic.politie import PROFILES, PoliceModel

FEED = "fraudemeldingen"
PARTNER_PREFIX = contract(FEED).landing_prefix  # one folder per bank or helpdesk ({partner})
PARTNERS = ("bank-a", "bank-b", "fraudehelpdesk")

# Reports to the partner per police registration of the same modus.
SEEN = {
    "bank-a": {"phishing": .9, "vriend-in-nood": .8, "bankhelpdeskfraude": 1.6, "marktplaatsfraude": .15,
               "identiteitsfraude": .2, "beleggingsfraude": .4, "datingfraude": .3},
    "bank-b": {"phishing": .5, "vriend-in-nood": .45, "bankhelpdeskfraude": .9, "marktplaatsfraude": .08,
               "identiteitsfraude": .1, "beleggingsfraude": .25, "datingfraude": .15},
    "fraudehelpdesk": {"phishing": 1.2, "vriend-in-nood": .9, "bankhelpdeskfraude": .9, "marktplaatsfraude": .5,
                       "webwinkelfraude": .6, "identiteitsfraude": .5, "sextortion": .1, "hacken": .1,
                       "beleggingsfraude": .7, "datingfraude": .6, "overig": .3},
}
# Share of reports where someone actually lost money (a phishing mail reported is often just a warning).
VICTIM_SHARE = {"phishing": .25, "vriend-in-nood": .45, "bankhelpdeskfraude": .7, "marktplaatsfraude": .6,
                "webwinkelfraude": .6, "identiteitsfraude": .3, "sextortion": .2, "hacken": .2,
                "beleggingsfraude": .8, "datingfraude": .7, "overig": .3, "ransomware": .5, "ddos": .1}
# Partners record the loss known at the moment of the report, usually well below what the
# police later records in an aangifte.
DAMAGE_SCALE = {"bank-a": .15, "bank-b": .15, "fraudehelpdesk": .25}


def file_key(partner: str, month: Month) -> str:
    return f"{PARTNER_PREFIX.replace('{partner}', partner)}fraudemeldingen_{month.compact}.json"


def month_document(model: PoliceModel, partner: str, month: Month) -> dict:
    rng = rng_for(model.seed, FEED, partner, month.compact)
    seen = np.array([SEEN[partner].get(m, 0.0) for m in MODI])
    meldingen = rng.poisson(model.expected(month) * seen[None, :])
    victims = np.array([VICTIM_SHARE[m] for m in MODI])
    gedupeerden = rng.binomial(meldingen, victims[None, :])
    codes = [g.code for g in gemeenten()]
    records = []
    for gi, mi in zip(*np.nonzero(meldingen)):
        p = PROFILES[MODI[mi]]
        k = int(gedupeerden[gi, mi])
        loss = float(np.exp(np.log(p.damage_median * DAMAGE_SCALE[partner])
                            + p.damage_sigma * rng.standard_normal(k)).sum()) if k else 0.0
        records.append({"gemeente": codes[gi], "fraudetype": MODI[mi], "meldingen": int(meldingen[gi, mi]),
                        "gedupeerden": k, "schade_eur": round(loss, 2)})
    created = month.plus(1).first_day + timedelta(days=2 + PARTNERS.index(partner))
    return {"partner": partner, "periode": str(month),
            "aangemaakt": f"{created.isoformat()}T10:00:00Z", "records": records}


def encode(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def generate_fraudemeldingen(seed: int, months: list[Month]) -> list[tuple[str, bytes]]:
    model = PoliceModel(seed)
    return [(file_key(p, m), encode(month_document(model, p, m))) for m in months for p in PARTNERS]

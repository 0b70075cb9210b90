"""Shared helpers of the simulator tests: trainee scripts written by us, per language."""

from __future__ import annotations

from calmdesk.simulation import Scenario
from calmdesk.simulation.scenarios import gendered, translit

LANGS = ("en", "pl", "sr", "sr-latn", "he")

# Follow-up openers of a skilled trainee (two, so no sentence is repeated).
_THANKS: dict[str, tuple[str, str]] = {
    "en": ("Thank you for explaining that.", "That helps me a lot."),
    "pl": ("Dziękuję za wyjaśnienie.", "To mi bardzo pomaga."),
    "sr-latn": ("Hvala što ste mi to objasnili.", "To mi mnogo pomaže."),
    "he": ("תודה שהסברת לי את זה.", "זה עוזר לי מאוד."),
}

# A poor trainee: blame, lecturing, a flat no behind policy, passing the client on.
# "[female|male]" forms follow the persona's gender.
_POOR: dict[str, tuple[str, ...]] = {
    "en": (
        "You should have read the terms before ordering. Calm down.",
        "As I said, we don't do that. That's our policy.",
        "That's not my department, you need to call someone else.",
        "You need to understand that this is your fault.",
    ),
    "pl": (
        "[Powinna Pani była|Powinien Pan był] przeczytać regulamin. Proszę się uspokoić.",
        "Jak już mówiłem, nie robimy tego. Takie są zasady.",
        "To nie nasz dział, proszę dzwonić gdzie indziej.",
        "Musi [Pani|Pan] zrozumieć, że to [Pani|Pana] wina.",
    ),
    "sr-latn": (
        "Trebalo je da pročitate uslove. Smirite se.",
        "Kao što sam rekao, to ne radimo. Takva su pravila.",
        "To nije moje odeljenje, pozovite drugi broj.",
        "Morate da razumete da je to vaša krivica.",
    ),
    "he": (
        "[היית צריכה|היית צריך] לקרוא את התנאים. [תירגעי|תירגע].",
        "כמו שאמרתי, אנחנו לא עושים את זה. זו המדיניות.",
        "זו לא המחלקה שלי, [תתקשרי|תתקשר] למקום אחר.",
        "[את צריכה|אתה צריך] להבין שזו אשמתך.",
    ),
}


def _for(lang: str, text: str) -> str:
    return translit(text) if lang == "sr" else text


def skilled_script(s: Scenario) -> list[str]:
    """A skilled trainee built from the scenario's own coach lines and questions."""
    c = s.coach
    if s.category == "self_harm":
        return [f"{c.acknowledge} {s.facts[0].ask}", c.backup]
    first = " ".join(x for x in (c.acknowledge, c.paraphrase, c.boundary, s.facts[0].ask) if x)
    out = [first]
    thanks = _THANKS["sr-latn" if s.lang == "sr" else s.lang]
    for i, fact in enumerate(s.facts[1:]):
        if fact.required:
            out.append(f"{_for(s.lang, thanks[i % 2])} {fact.ask}")
    out.append(" ".join(x for x in (c.next_step, c.backup if "backup" in s.requires else "") if x))
    return out


def poor_script(s: Scenario) -> list[str]:
    lines = _POOR["sr-latn" if s.lang == "sr" else s.lang]
    return [_for(s.lang, gendered(x, s.persona.gender)) for x in lines]

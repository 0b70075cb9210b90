"""Language and script detection for en, pl, sr, hr, bs, he (else "und").

1. Script first: Hebrew letters -> ``he``; Serbian/BCMS Cyrillic -> ``sr`` (Cyrillic with
   letters that Serbian never uses - ы э ъ ё щ й - and none of ђ ј љ њ ћ џ -> ``und``).
2. Latin text: our own hashed character/word n-gram model (``models/langid.npz``, trained by
   ``scripts/train_models.py`` on open data) tells en / pl / BCMS apart.  lingua was measured
   and not used (see docs/decisions/0010-language-identification.md).
3. Within BCMS Latin: a marker scorer (ekavian and Serbian forms vs ijekavian and Croatian or
   Bosnian forms).  Without a cue the ``hint`` (the client's or case's language) decides,
   else ``sr``.  A hint never overrides a confident detection of another language group.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import compress, repeat
from pathlib import Path
from typing import Any

from ._scoring import Features, LinearModel
from ._text import Token, normalize, script_of, tokenize
from ._types import LanguageGuess

__all__ = ["BCMS", "LANGUAGES", "bcms_variant", "detect_language", "detect_language_tokens"]

LANGUAGES = ("en", "pl", "sr", "hr", "bs", "he", "und")
BCMS = frozenset({"sr", "hr", "bs"})
_MODEL_PATH = Path(__file__).parent / "models" / "langid.npz"

_RU_ONLY = re.compile(r"[ыэъёщйЫЭЪЁЩЙ]")
_SR_ONLY = re.compile(r"[ђјљњћџЂЈЉЊЋЏ]")

# Marker words (normalised, Latin).  Written by the calmdesk developers.
_EKAVIAN = frozenset(
    """
    mleko dete deca deteta lepo lep lepa lepe vreme vremenu hleb hleba uvek nedelja nedelje
    nedelju gde ovde onde negde svuda reka reke reč reči mesto mesta mestu pesma devojka vek
    veka cena cene cenu belo beli bela sneg zvezda mesec meseca meseci primer primera
    primeru poslednji poslednja poslednje ponedeljak ponedeljka vest vesti razumem razume
    sedi deo dela posle pre verujem veruje videti videla voleo volela želeo želela htela
    sutradan celog celu celi ceo lekar lekara
    """.split()  # noqa: SIM905
)
_IJEKAVIAN = frozenset(
    """
    mlijeko dijete djeca djeteta lijepo lijep lijepa lijepe vrijeme hljeb uvijek gdje ovdje
    ondje negdje svugdje rijeka rijeke riječ riječi mjesto mjesta mjestu pjesma djevojka
    vijek vijeka cijena cijene cijenu bijelo bijeli bijela snijeg zvijezda mjesec mjeseca
    mjeseci primjer primjera primjeru posljednji posljednja ponedjeljak vijest vijesti
    razumijem razumije sjedi dio dijela poslije prije vjerujem vjeruje vidjeti vidjela volio
    voljela želio željela htjela cijelog cijelu cijeli lijekar ljekar ljekara
    """.split()  # noqa: SIM905
)
_CROATIAN = frozenset(
    """
    tjedan tjedna tjednu tjedno kruh kruha tisuću tisuća tisuće što tko netko nitko svatko
    glazba obitelj obitelji zrakoplov kolodvor sveučilište siječanj veljača ožujak travanj
    svibanj lipanj srpanj kolovoz rujan listopad studeni prosinac izvanredno zahvaljujem
    tvrtka tvrtke tvrtku računalo gospodarstvo povijest
    """.split()  # noqa: SIM905
)
_BOSNIAN = frozenset(
    """
    lahko lahka historija historije kahva kahvu sahat sahata insan insana hajr hairli
    merhaba džaba mahala sefte
    """.split()  # noqa: SIM905
)
_SERBIAN = frozenset(
    """
    šta hiljadu hiljada hiljade ko neko niko svako muzika porodica porodice avion stanica
    univerzitet januar februar mart april maj jun jul avgust septembar oktobar novembar
    decembar istorija firma firme firmu hleb vazduh
    """.split()  # noqa: SIM905
)
_FUSED_FUTURE = re.compile(r"\w{3,}(?:ću|ćeš|ćemo|ćete)$")
_SPLIT_FUTURE = re.compile(r"\w{3,}t$")


_FUTURE_ENDINGS = ("ću", "ćeš", "ćemo", "ćete")
# Every marker word -> its increments of (ek, ij, hr, bs, sr): one lookup per token.
_MARKERS: dict[str, tuple[int, int, int, int, int]] = {
    w: (
        int(w in _EKAVIAN),
        int(w in _IJEKAVIAN),
        int(w in _CROATIAN),
        int(w in _BOSNIAN),
        int(w in _SERBIAN),
    )
    for w in _EKAVIAN | _IJEKAVIAN | _CROATIAN | _BOSNIAN | _SERBIAN
}


def bcms_variant(tokens: list[Token], hint: str | None = None) -> tuple[str, str]:
    """``(language, reason)`` for Latin BCMS text from marker words, else the hint, else sr."""
    return _bcms_variant_words([t.text for t in tokens], hint)


def _bcms_variant_words(words: list[str], hint: str | None = None) -> tuple[str, str]:
    ek = ij = hr = bs = sr = 0
    incs = [x for x in map(_MARKERS.get, words) if x is not None]
    if incs:
        ek, ij, hr, bs, sr = map(sum, zip(*incs, strict=True))
    # Future tense: fused "radiću" (Serbian) vs split "radit ću" (Croatian).  Only words
    # ending in a future ending can match either rule.
    ends = _FUTURE_ENDINGS
    for i in compress(range(len(words)), map(str.endswith, words, repeat(ends))):
        w = words[i]
        if _FUSED_FUTURE.match(w):
            sr += 1
        if w in ends and i and _SPLIT_FUTURE.match(words[i - 1]):
            hr += 1
    # Serbian lexical forms with ijekavian reflexes are Bosnian (or Montenegrin) usage.
    if ij and (bs or sr) and not ek:
        return "bs", "ijekavian + Bosnian/Serbian forms"
    if ij + hr > ek + sr:
        if hint in ("hr", "bs"):
            return hint, "ijekavian/Croatian forms; hint"
        return "hr", "ijekavian/Croatian forms"
    if ek + sr > ij + hr:
        return "sr", "ekavian/Serbian forms"
    if bs:
        return "bs", "Bosnian forms"
    if hint in BCMS:
        return str(hint), "no variant cue; hint"
    return "sr", "no variant cue; default"


@lru_cache(maxsize=1)
def _model() -> LinearModel:
    return LinearModel.load(_MODEL_PATH)


_GROUPS = ("en", "pl", "bcms")


def _latin_group(feats: Features | None, logits: Any = None) -> tuple[str, float]:
    m = _model()
    if logits is None:
        if feats is None:
            raise ValueError("_latin_group needs the features or the logits")
        z = m.logits(feats)
    else:
        z = logits
    # A softmax over three scores: plain floats cost less than numpy's calls here.
    zs = [float(v) for v in z]
    top = max(zs)
    ex = [math.exp(v - top) for v in zs]
    i = ex.index(max(ex))
    return m.heads[i].removeprefix("lang_"), ex[i] / sum(ex)


def detect_language_tokens(
    text: str,
    tokens: list[Token],
    feats: Features | None,
    script: str,
    hint: str | None = None,
    lang_logits: Any = None,
    words: list[str] | None = None,
) -> LanguageGuess:
    """Detect the language given already normalised tokens (engine fast path).

    ``lang_logits`` are the language model's raw scores when the caller computed them already;
    ``words`` the texts of ``tokens`` when the caller has them.
    """
    hint = (hint or "").lower().split("-")[0] or None
    if words is None:
        words = [t.text for t in tokens]
    letters = sum(map(len, words[:400]))
    if script == "Hebr":
        return LanguageGuess("he", "Hebr", 0.99, "Hebrew script")
    if script == "Cyrl":
        if _RU_ONLY.search(text) and not _SR_ONLY.search(text):
            return LanguageGuess("und", "Cyrl", 0.6, "Cyrillic, not Serbian")
        return LanguageGuess("sr", "Cyrl", 0.99, "Cyrillic BCMS is Serbian")
    if script != "Latn" or letters < 2:
        if hint in LANGUAGES:
            return LanguageGuess(str(hint), script, 0.3, "no letters; hint")
        return LanguageGuess("und", script, 0.0, "no letters")
    if feats is None and lang_logits is None:
        feats = _model().featurizer.transform(tokens)
    group, conf = _latin_group(feats, lang_logits)
    # Short texts carry little evidence: trust a hint of the same script when unsure.
    shrink = 1.0 - math.exp(-letters / 12.0)
    conf *= shrink
    if hint in ("en", "pl", "sr", "hr", "bs") and conf < 0.6:
        hgroup = "bcms" if hint in BCMS else hint
        if hgroup != group:
            group, conf = str(hgroup), 0.5
    if conf < 0.35 and hint not in LANGUAGES:
        return LanguageGuess("und", "Latn", conf, "low confidence")
    if group == "bcms":
        lang, why = _bcms_variant_words(words, hint)
        return LanguageGuess(lang, "Latn", conf, "BCMS: " + why)
    return LanguageGuess(group, "Latn", conf, "n-gram model")


def detect_language(text: str, hint: str | None = None) -> LanguageGuess:
    """Guess the language and script of ``text``; ``hint`` is the client's or case's language."""
    script = script_of(text)
    norm = normalize(text, translit=False)
    tokens = tokenize(norm.text[:20_000])
    feats = None if script != "Latn" else _model().featurizer.transform(tokens[:400])
    return detect_language_tokens(norm.text, tokens, feats, script, hint)

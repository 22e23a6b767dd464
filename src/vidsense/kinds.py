"""The kind of answer a question asks for, and whether a line's words hold one.

A question asks for a kind of answer (:func:`asked_kind`): a quantity ("how much", "how many",
"what pressure"), a duration ("how long should it bake"), a time or day ("when", "which day"),
a frequency ("how often"), a colour, a reason ("why"), a place, a person or a manner. For the
kinds that show in the words themselves (numbers, durations, times and days, frequencies,
colours, reasons) :func:`holds_kind` says whether a line holds one; the wh-words and the
number, unit, day and colour words are known in English, Spanish, French, German and Italian
(the languages the text embedder and the recogniser serve best), so a question in one of them
can be read against speech in another. Answers (:mod:`vidsense.language.answering`) and search
(:mod:`vidsense.search`) read questions the same way.
"""

from __future__ import annotations

import re
from typing import Literal

from vidsense.words import plain, says_number


def _list(text: str) -> list[str]:
    return text.split()


Kind = Literal[
    "moment",
    "name",
    "price",
    "quantity",
    "duration",
    "time",
    "frequency",
    "colour",
    "reason",
    "place",
    "person",
    "manner",
    "thing",
]
"""What a question asks for."""

WORD_KINDS: frozenset[Kind] = frozenset(
    {"name", "price", "quantity", "duration", "time", "frequency", "colour", "reason"}
)
"""Kinds of answer whose presence a line's words show."""

_IN_THE_VIDEO = (
    r"(?:shown|displayed|appears?|appeared|appearing|mentioned|mentions?|discussed|talked about|"
    r"talks about|introduced|seen|visible|heard|on (?:the )?screen|"
    r"(?:starts?|begins?|started|began) (?:speaking|talking))\b"
)
"""What a "when" question asks of the video itself ("when is the bridge *mentioned*?", "when
does the title *appear*?"): the moment, which perception gives, not a time the video tells
("when does the train leave?")."""
MOMENT_WORDS = frozenset(
    _list("show display appear mention discuss talk introduce see visible hear screen start begin")
    + _list("speak first text title caption word time point moment")
)
"""Words of a moment question that ask for the moment, not what it is about."""

# Checked in order: the first pattern that matches names the kind.
_ASKS: list[tuple[Kind, str]] = [
    ("name", r"\bname of\b|\b(?:his|her|its|their|the \w+'s) name\b|what is \w+ called|"
             r"c[oó]mo se llama|wie hei[sß]t|come si chiama|nom de"),
    ("frequency", r"how often|how many times|how frequently|combien de fois|cada cu[aá]nto|"
                  r"con qu[eé] frecuencia|cu[aá]ntas veces|wie oft|wie h[aä]ufig|ogni quanto|"
                  r"quante volte|con che frequenza"),
    ("duration", r"how long|how much time|for how long|cu[aá]nto tiempo|cu[aá]nto dura|"
                 r"combien de temps|wie lange|quanto tempo|quanto dura"),
    ("colour", r"what colou?r|which colou?r|de qu[eé] colou?r|qu[eé] colou?r|quelle couleur|"
               r"welche farbe|di che colore|che colore"),
    ("price", r"how much (?:does|do|did|will|would|is|are|was|were)\b[^?]*\bcost|"
              r"what (?:does|do|did|will|would)\b[^?]*\bcost\b|how expensive|"
              r"what (?:is|are|was|were) the (?:\w+ )?(?:price|cost|fee|fare)s?\b|"
              r"cu[aá]nto (?:cuesta|cuestan|vale|valen|cobran)|qu[eé] precio|combien co[uû]te|"
              r"(?:wie ?viel|was) kostet|quanto cost(?:a|ano)|che prezzo"),
    ("quantity", r"how (?:much|many|far|heavy|old|tall|big|high|deep|wide|cold|warm|hot|fast)|"
                 r"what (?:pressure|temperature|angle|size|distance|weight|price|cost|number|"
                 r"percentage|amount|speed)|at what (?:angle|temperature|speed|pressure)|"
                 r"cu[aá]nt[oa]s?\b|combien|wie (?:viel|weit|schwer|alt|hoch|gro[sß])|"
                 r"quant[oaie]\b"),
    ("moment", rf"\b(?:when|at what (?:time|point|moment)|at which point)\b[^?]*\b{_IN_THE_VIDEO}"),
    ("time", r"\bwhen\b|what time|which day|what day|on which day|cu[aá]ndo|qu[eé] d[ií]a|"
             r"\bquand\b|quel jour|\bwann\b|welche[mn]? tag|um wie viel uhr|\bquando\b|"
             r"che giorno|quale giorno|a che ora"),
    ("reason", r"\bwhy\b|por qu[eé]|pourquoi|\bwarum\b|\bwieso\b|perch[eé]"),
    ("place", r"\bwhere\b|d[oó]nde|\bo[uù]\b|\bwo\b|\bwohin\b|\bdove\b"),
    ("person", r"\bwho\b|\bwhom\b|qui[eé]n|\bqui\b|\bwer\b|\bchi\b"),
    ("manner", r"\bhow\b|c[oó]mo|comment|\bwie\b|\bcome\b"),
    ("thing", r"\bwhat\b|\bwhich\b|\bqu[eé]\b|\bquel|\bwelche|\bwas\b|\bquale\b|\bcosa\b"),
]  # fmt: skip

_UNITS = frozenset(
    _list(
        """
        second seconds minute minutes min hour hours hr hrs day days week weeks month months year
        years night nights segundo segundos minuto minutos hora horas dia días dias semana semanas
        mes meses año años ano anos seconde secondes heure heures jour jours semaine semaines mois
        an ans année années sekunde sekunden minute minuten stunde stunden tag tage tagen woche
        wochen monat monate jahr jahre secondo secondi minuto minuti ora ore giorno giorni
        settimana settimane mese mesi anno anni
        """
    )
)
_DAYS = frozenset(
    _list(
        """
        monday tuesday wednesday thursday friday saturday sunday weekday weekend weekends
        morning afternoon evening night noon midnight dawn dusk tonight today tomorrow yesterday
        lunes martes miércoles miercoles jueves viernes sábado sabado domingo mañana tarde noche
        lundi mardi mercredi jeudi vendredi samedi dimanche matin soir
        montag dienstag mittwoch donnerstag freitag samstag sonntag morgen abend nacht uhr
        lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi sabato
        domenica mattina sera notte
        january february march april may june july august september october november december
        enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
        """
    )
)
_FREQUENCY = frozenset(
    _list(
        """
        every each twice once thrice times daily weekly monthly yearly hourly always never
        cada vez veces chaque fois tous toutes jeden jede jedes alle mal täglich taglich
        wöchentlich ogni volta volte sempre
        """
    )
)
_EVERY = frozenset(
    _list("every each cada chaque tous toutes jeden jede jedes alle ogni ciascun ciascuna")
)
"""Frequency words that say one only before a time or a number ("every 10 seconds", "each
morning"; not "each tiny well")."""


def _counts_time(following: list[str]) -> bool:
    """Whether the words after "every"/"each" give a number or a unit of time or a day."""
    plain_words = {plain(w) for w in following}
    times = _plained(_UNITS) | _plained(_DAYS)
    return says_number(following) or bool((plain_words | {w[:-1] for w in plain_words}) & times)


_COLOURS = frozenset(
    _list(
        """
        red green blue white black yellow orange purple violet pink brown grey gray golden gold
        silver copper beige turquoise reddish bluish
        rojo roja rojos azul azules verde verdes blanco blanca negro negra amarillo naranja morado
        rosa marrón gris dorado
        rouge rouges bleu bleue bleus vert verte blanc blanche noir noire jaune violet rose brun
        gris doré
        rot rote roten blau blaue blauen grün grüne weiß weiss weiße schwarz gelb orange lila
        braun grau golden
        rosso rossa rossi blu azzurro azzurra verde bianco bianca nero nera giallo arancione viola
        marrone grigio dorato
        """
    )
)
MONEY = frozenset(
    _list(
        """
        euro euros eur cent cents centime centimes centimo centimos céntimo céntimos centesimo
        centesimi dollar dollars usd buck bucks pound pounds quid pence penny gbp franc francs
        chf yen krone kronor kroner crown crowns rupee rupees peso pesos
        """
    )
)
"""Currencies: the words that make a number a price."""
_FREE = frozenset(
    _list(
        """
        free gratis gratuit gratuite gratuito gratuita gratuiti kostenlos umsonst pagan paga
        pagano zahlen bezahlen
        """
    )
)
"""Words that say something costs nothing ("free", "los niños no *pagan*")."""
CURRENCY = re.compile(r"[$€£¥₹]")

_REASONS = frozenset(
    _list("because since so cause due reason porque pues parce car weil denn da perché poiché")
)
_NUMBERED = re.compile(
    r"\b(?:chapter|step|part|episode|tip|page|track|scene|slide|no\.|nr\.?|cap[ií]tulo|"
    r"paso|parte|chapitre|[eé]tape|kapitel|schritt|teil|capitolo|passo)\s*\d+\b"
)
_CLOCK = re.compile(r"\b\d{1,2}[:.h]\d{2}\b|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)")
YEAR = re.compile(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b")


HEAD_KINDS: dict[str, Kind] = {
    **dict.fromkeys(
        _list(
            """
            amount total count number quantity rate temperature pressure angle
            size distance weight speed percentage height width depth length population age
            """
        ),
        "quantity",
    ),
    **dict.fromkeys(
        _list("time date day year hour hours schedule season month deadline opening"), "time"
    ),
    **dict.fromkeys(_list("price prices cost costs fee fees fare fares"), "price"),
    "duration": "duration",
    "colour": "colour",
    "color": "colour",
    "reason": "reason",
    "cause": "reason",
    "frequency": "frequency",
}
"""Nouns that, as the thing a "what is the ..." question (or a field named after them) asks
for, say which kind of answer it wants ("what is the opening *time*", ``monthly_price``)."""
_ASKED_NOUNS = re.compile(
    r"^\W*(?:what|which)(?: (?:is|are|was|were|will be))?(?: (?:the|a|an|its|their|his|her))?"
    r"((?: [a-z]+){1,3}?)(?= (?:of|for|in|on|at|to|from|does|do|did|is|are|was|were|will|can|"
    r"should|when)\b|\W*$|\?)"
)


def asked_kind(question: str) -> Kind:
    """The kind of answer ``question`` asks for: the first wh-phrase that says ("how long",
    "when"), else the noun a "what is the ..." asks for ("what is the colour *temperature*":
    a quantity; a schema field ``support_hours`` read as "what is the support hours": a
    time) or a search of a few words without a wh-word is headed by ("peg *angle*": a
    quantity), else ``thing``."""
    q = plain(question)
    if re.search(_ASKS[0][1], q):  # "the name of": whatever wh-word asks it
        return "name"
    found = [
        (m.start(), n, kind)
        for n, (kind, pattern) in enumerate(_ASKS)
        if (m := re.search(pattern, q)) is not None
    ]
    kind: Kind = min(found)[2] if found else "thing"
    if kind == "thing":
        noun = asked_noun(q) if found else _phrase_head(q)
        if noun is not None:
            kind = HEAD_KINDS.get(noun, "thing")
    return kind


_PHRASE_END = re.compile(r" (?:of|for|in|on|at|to|from|with|by|per|during|after|before) |[?!.,;:]")
PHRASE_WORDS = 4
"""Most words before its first preposition that a search of a few words (no wh-word) may
have for its head noun to say what it asks for: "peg angle", "flatbread cooking time",
"daylight temperature in kelvin"."""


def _phrase_head(q: str) -> str | None:
    """The head of a short noun phrase (plain text, no wh-word): its last word before the
    first preposition ("tent peg *angle*", "cooking *time* for flatbread"); None for longer
    text."""
    found = re.findall(r"[a-z]+", _PHRASE_END.split(f" {q} ")[0])
    return found[-1] if 1 <= len(found) <= PHRASE_WORDS else None


def asked_noun(q: str) -> str | None:
    """The noun a "what is the ..." question (plain text) asks for: "what is the colour
    *temperature* of daylight?"; None when it asks for none."""
    asked = _ASKED_NOUNS.search(q.split("?")[0] + "?")
    return asked.group(1).split()[-1] if asked is not None else None


def _plained(words: frozenset[str]) -> frozenset[str]:
    """``words`` without their accents (as :func:`plain` leaves a line's words), once."""
    return frozenset(plain(w) for w in words)


def holds_kind(text: str, kind: Kind) -> bool:
    """Whether ``text`` holds an answer of ``kind`` (always true for kinds its words cannot
    show: places, people, manners, things)."""
    if kind not in WORD_KINDS:
        return True
    if kind == "name":  # a capitalised word that does not start the text, or a quote
        caps = re.findall(r"(?<=[\w,;:] )[A-Z][a-z]+", text)
        return bool(caps) or bool(re.search(r"[\"\u201c\u00ab].+[\"\u201d\u00bb]", text))
    low = _NUMBERED.sub(" ", text.lower())  # "Chapter 1" numbers a part; it counts nothing
    tokens = re.findall(r"[^\W_]+(?:[.,:]\d+)?", low)
    plain_tokens = {plain(t) for t in tokens}
    if kind == "price":  # a sum of money, or that something is free
        money = bool(plain_tokens & _plained(MONEY) or CURRENCY.search(text))
        return (money and says_number(tokens)) or bool(plain_tokens & _plained(_FREE))
    if kind == "quantity":
        return says_number(tokens)
    if kind == "duration":
        return says_number(tokens) and bool(plain_tokens & _plained(_UNITS))
    if kind == "time":
        return bool(
            _CLOCK.search(low)
            or YEAR.search(low)
            or (plain_tokens | {t[:-1] for t in plain_tokens}) & _plained(_DAYS)
            or (says_number(tokens) and plain_tokens & _plained(_UNITS))
        )
    if kind == "frequency":  # "twice", "daily"; "every"/"each" only before a time or number
        if plain_tokens & (_plained(_FREQUENCY) - _plained(_EVERY)):
            return True
        return any(
            plain(t) in _plained(_EVERY) and _counts_time(tokens[n + 1 : n + 3])
            for n, t in enumerate(tokens)
        )
    if kind == "colour":
        return bool(plain_tokens & _plained(_COLOURS))
    return bool(plain_tokens & _REASONS)  # reason


__all__ = [
    "CURRENCY",
    "HEAD_KINDS",
    "MOMENT_WORDS",
    "MONEY",
    "WORD_KINDS",
    "YEAR",
    "Kind",
    "asked_kind",
    "asked_noun",
    "holds_kind",
]

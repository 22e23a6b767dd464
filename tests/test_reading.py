"""How writing reads its inputs: transcripts as whole sentences, prompts as instructions,
questions for the kind of answer they want, topics as noun phrases, chapters by dynamic
programming. Real parts only: WordNet from Debian's ``wordnet-base``, spaCy's small English
pipeline, and (for chapters) the real text embedder over evidence whose times are known."""

from __future__ import annotations

from typing import Any

import pytest

from vidsense.language.answering import (
    Question,
    about_file,
    about_picture,
    asked_kind,
    asked_measure,
    asks_speaker,
    field_question,
    holds_kind,
    in_units,
    introduced,
    misheard,
    spoken_of,
    value_in,
)
from vidsense.language.base import NOT_IN_VIDEO
from vidsense.language.evidence import Item, VideoEvidence, VideoFacts, _in_context, _item
from vidsense.language.extractive import ExtractiveWriter
from vidsense.language.phrases import (
    generalise,
    heading,
    kind_of,
    noun_phrases,
    part_of,
    subject_words,
    tagger_installed,
)
from vidsense.language.requests import cannot, question_parts, read_request
from vidsense.language.schema import free_fields
from vidsense.language.segments import chapters
from vidsense.language.sentences import TimedWord, split_sentences
from vidsense.models.wordnet import missing_files
from vidsense.store import Segment
from vidsense.words import gives_measure

pytestmark = pytest.mark.models

needs_wordnet = pytest.mark.skipif(bool(missing_files()), reason="apt-get install wordnet-base")


@pytest.fixture(scope="module")
def text_embedder() -> Any:
    """The bundled multilingual-e5 text embedder."""
    from vidsense.config import Settings
    from vidsense.models.text_embedding import TextEmbeddingEntry

    return TextEmbeddingEntry(Settings()).load()


def _words(text: str, start: float, gap: float = 0.25) -> list[TimedWord]:
    out, t = [], start
    for w in text.split():
        out.append(TimedWord(w, t, t + 0.2))
        t += gap
    return out


def test_transcript_segments_are_cut_again_at_sentence_ends() -> None:
    # A recogniser's segments: one ends in the middle of a sentence, one holds two.
    segments = [
        (
            "s1",
            0.0,
            2.0,
            "The lamp was lit every night",
            _words("The lamp was lit every night", 0.0),
        ),
        (
            "s2",
            2.0,
            5.0,
            "for a century. Then it stopped.",
            _words("for a century. Then it stopped.", 1.6),
        ),
        ("s3", 9.0, 10.0, "Dr. Smith agreed.", _words("Dr. Smith agreed.", 9.0)),
    ]
    found = split_sentences(segments)
    assert [s.text for s in found] == [
        "The lamp was lit every night for a century.",
        "Then it stopped.",
        "Dr. Smith agreed.",
    ]
    first = found[0]
    assert first.sources == ("s1", "s2") and first.start == 0.0
    assert first.end == pytest.approx(1.6 + 2 * 0.25 + 0.2), "ends with the word 'century.'"
    # A silence ends a sentence even without a full stop; hyphenated pieces are glued.
    paused = split_sentences(
        [
            (
                "p",
                0.0,
                9.0,
                "",
                [*_words("it takes twenty -nine days", 0.0), *_words("now the tides", 5.0)],
            )
        ]
    )
    assert [s.text for s in paused] == ["it takes twenty-nine days", "now the tides"]
    # One word stamped long before the rest of its sentence (Whisper on a recorded command:
    # "Go" at the segment's start, "forward 10 meters." 2.4 s later) is not a sentence: it
    # is said just before the words it begins.
    slipped = [*_words("Go", 27.08), *_words("forward 10 meters.", 29.74)]
    found = split_sentences([("g", 27.08, 30.94, "Go forward 10 meters.", slipped)])
    assert [(s.text, s.start) for s in found] == [("Go forward 10 meters.", 29.54)]
    # After a word that ends nothing, a capital after the pause still starts a sentence.
    two = [*_words("Okay", 0.0), *_words("Now the tides", 3.0)]
    assert [s.text for s in split_sentences([("o", 0.0, 4.0, "", two)])] == [
        "Okay",
        "Now the tides",
    ]
    # Two sentences a breath apart that the recogniser joined with a comma (Whisper on two
    # narrated slides) are two again; a clause after a short pause stays one sentence.
    first = "The lighthouse was built in 1852 by the harbour company,"
    joined = [*_words(first, 0.0), *_words("a ticket costs twelve dollars for adults.", 3.9)]
    assert [s.text for s in split_sentences([("j", 0.0, 6.0, "", joined)])] == [
        "The lighthouse was built in 1852 by the harbour company",
        "a ticket costs twelve dollars for adults.",
    ]
    clause = [*_words(first, 0.0), *_words("which also built the pier.", 2.7)]
    assert len(split_sentences([("c", 0.0, 5.0, "", clause)])) == 1


def test_a_sentence_cut_from_a_segment_is_embedded_after_the_one_before() -> None:
    spoken = [
        Item("s.0", "speech", 0.0, 4.0, "El puente de hierro cruza el río."),
        Item("s.1", "speech", 5.0, 9.0, "Fue construido por un ingeniero francés."),
        Item("t", "speech", 11.0, 14.0, "Por la noche se ilumina."),
    ]
    assert [_in_context(spoken, n) for n in range(3)] == [
        "El puente de hierro cruza el río.",
        "El puente de hierro cruza el río. Fue construido por un ingeniero francés.",
        "Por la noche se ilumina.",
    ]


def test_several_questions_in_one_prompt_are_told_apart() -> None:
    assert question_parts("What is shown, what is said, and how long is it?") == [
        "What is shown?",
        "What is said?",
        "How long is it?",
    ]
    assert question_parts("Who is speaking and what do they say?") == [
        "Who is speaking?",
        "What do they say?",
    ]
    for one in (
        "What is said about the tents and the stakes?",  # "and" inside one question
        "When and where was the bridge built?",  # a question word alone is not a question
        "What are the steps, in three bullet points?",  # an instruction for the whole
        "What happens at 0:10 and what is said there?",  # a later part points back
        "What is the price? And when does it open?",  # two sentences: read as written
        ", ".join(f"what is shown in part {n}" for n in "abcdef"),  # more than MAX_QUESTIONS
    ):
        assert question_parts(one) == [one], one
    # Requests in a row: each is followed on its own.
    assert question_parts("Give this video a title and list its chapters with times.") == [
        "Give this video a title.",
        "List its chapters with times.",
    ]
    assert question_parts("Summarize this video, then list three hashtags.") == [
        "Summarize this video.",
        "List three hashtags.",
    ]
    for one in ("Describe the setting and the people.", "Give me a checklist of the steps."):
        assert question_parts(one) == [one], one


def test_prompts_are_read_as_instructions() -> None:
    two = read_request("Summarize this video in two sentences.")
    assert two.sentences == 2 and two.instruction
    assert read_request("Describe the video in at most 40 words.").words == 40
    assert read_request("List the four tips as bullet points.").form == "bullets"
    assert read_request("List the four tips as bullet points.").count == 4
    steps = read_request("Give me numbered steps for pitching the tent.")
    assert (steps.form, steps.items, steps.topic) == ("numbered", "steps", "pitching the tent")
    assert read_request("Give me a packing checklist.").form == "checklist"
    assert read_request("Make a table of the times each part starts.").form == "table"
    assert read_request("Only tell me about the sauce.").focus == "the sauce"
    assert not read_request("How long should the sauce simmer?").instruction
    for prompt in (
        "Generate a video of the finished dish.",
        "Draw a diagram of the Moon's orbit.",
        "Read the slides aloud as an audio file.",
        "Add a voice-over to this video.",
        "Dub this video into English.",
        "Show me a 3D model of the bicycle.",
        "Colour-grade this video to look warmer.",
    ):
        said = cannot(read_request(prompt))
        assert said is not None and said.startswith("I can't"), prompt
        assert "not in the video" not in said
    assert cannot(read_request("Make a clip from 0:10 to 0:20")) is None, "a trim"
    # The video a request names after a preposition is the one there, not one to make.
    for prompt in (
        "Generate a summary of this video.",
        "Create a title for this video.",
        "Create hashtags for this video.",
        "Make a list of the topics in this clip.",
    ):
        assert cannot(read_request(prompt)) is None, prompt
    wants = {
        "Give this video a title.": "title",
        "What is the title of this video?": "title",
        "Suggest hashtags for this video.": "hashtags",
        "List the topics as hashtags.": "hashtags",
        "Turn the main topics into hashtags.": "hashtags",
        "Give me hashtags for the topics.": "hashtags",
        "What topics are covered?": "topics",
        "What title is shown on screen?": None,
        "What is the title of the book?": None,
        "Which subject is the hardest?": None,
    }
    assert {p: read_request(p).wants for p in wants} == wants
    assert read_request("List the chapters with their times.").timed
    assert not read_request("List the chapters.").timed
    several = read_request("Give a title, a summary, the topics, hashtags and the chapters.")
    assert (several.wants, several.form) == (None, "prose"), "all of them, not one"
    made = read_request("Create chapters for this video.")
    assert (made.form, made.items, made.timed, cannot(made)) == ("bullets", "parts", True, None)
    assert read_request("Extract the key takeaways.").form == "bullets"
    assert read_request("What are the key moments?").wants == "highlights"
    assert read_request("What category does this video belong to?").wants == "topic"
    assert read_request("What is the tone of this video?").needs_model
    assert not read_request("How does the narrator feel about the weather?").needs_model
    timed = read_request("Describe what happens, with timestamps.")
    assert (timed.form, timed.items, timed.timed) == ("bullets", "parts", True)
    assert read_request("Continue the story in the same style.").needs_model
    assert read_request("Translate the narration into French.").needs_model == "translate"


def test_questions_are_read_for_the_kind_of_answer_they_want() -> None:
    assert asked_kind("How long should the cake bake?") == "duration"
    assert asked_kind("How often should sun cream be reapplied?") == "frequency"
    assert asked_kind("How much salt goes into the water?") == "quantity"
    assert asked_kind("What goes on top when serving?") == "thing", "the first wh-word asks"
    # "what year": a time given as a value ("in 1852"), not a word that names a kind of year
    year = Question.read("What year was the lighthouse built?")
    assert (year.kind, year.head) == ("time", None)
    assert Question.read("How many calories are in it?").head == "calorie"
    assert asked_kind("On which day is the museum closed?") == "time"
    assert asked_kind("What is the name of the river?") == "name"
    assert asked_kind("¿Cuánto tiempo se cuece la pasta?") == "duration"
    assert asked_kind("Wann fährt der Zug ab?") == "time"
    assert holds_kind("Bake it for twelve minutes.", "duration")
    assert not holds_kind("Bake it until golden.", "duration")
    assert holds_kind("Closed on Mondays", "time")
    assert holds_kind("Reapply it every two hours.", "frequency")
    assert holds_kind("cada jueves hay un mercado", "time")
    assert holds_kind("the moon turns a deep copper red", "colour")
    # The noun a "what is the ..." asks for says the kind, for questions and schema fields.
    assert asked_kind("What is the colour temperature of daylight?") == "quantity"
    assert asked_kind(field_question("monthly_price", "what the plan costs per month")) == "price"
    # A price is a sum of money (or "free"), not any number said near the question's words.
    assert asked_kind("How much does an espresso cost?") == "price"
    assert asked_kind("¿Cuánto cuesta la entrada?") == "price"
    assert asked_kind("How much salt goes into the water?") == "quantity"
    assert holds_kind("La entrada cuesta cinco euros y los niños no pagan.", "price")
    assert holds_kind("Our pricing starts at $20 per month.", "price")
    assert not holds_kind("Il parmigiano stagiona per almeno 18 mesi.", "price")
    assert asked_kind(field_question("supportHours")) == "time"
    assert asked_kind("What happens on the first day?") == "thing"
    # A search of a few words says what it wants by its head noun.
    assert asked_kind("peg angle") == "quantity"
    assert asked_kind("flatbread cooking time") == "time"
    assert asked_kind("bus fare for children") == "price"
    assert asked_kind("high and low water twice a day") == "thing", "a sentence, not a phrase"
    assert asked_kind("Summarize the video in 3 sentences.") == "thing"
    # A line that names a kind of the thing asked about speaks of it: noodles are pasta.
    pasta = Question.read("¿Cuánto tiempo se cuece la pasta?")
    assert pasta.said("Most dried noodles need about nine minutes.") > 0
    assert pasta.said("Leftovers keep in the fridge for up to three days.") == 0
    assert not holds_kind("Jane Austen - Chapter 1", "quantity"), "a part's number counts nothing"
    assert about_file("How long is this video?") and about_file("What is its resolution?")
    assert not about_file("How long should the sauce simmer?")


@needs_wordnet
def test_a_measure_is_answered_by_a_number_in_its_units() -> None:
    assert asked_measure("What is the colour temperature of daylight?") == "temperature"
    assert asked_measure("At what angle should the tent stakes go in?") == "angle"
    assert asked_measure("How much colder does it get per thousand metres?") == "temperature"
    assert asked_measure("How far should the brake pads be from the rim?") == "distance"
    assert asked_measure("How many cheeses are there?") is None
    assert gives_measure("The light is measured at about 5500 Kelvin.", "temperature")
    assert gives_measure("Drive the pegs in at forty five degrees.", "angle")
    assert gives_measure("Die Beläge brauchen drei Millimeter Abstand.", "distance")
    assert not gives_measure("The cake bakes for 12 minutes.", "angle"), "a minute is a time"
    daylight = Question.read("What is the colour temperature of daylight?")
    # Misheard "Daylight is ..." as "The light is ...": the kelvins still say it is about this.
    assert daylight.covered({"light", "measure", "kelvin"}) > 0
    assert daylight.score("The light is measured at about 5500 Kelvin.", 0.8) > daylight.score(
        "White balance tells the camera what neutral grey should look like.", 0.8
    )


def test_a_word_speech_recognition_misspelt_still_says_what_was_asked() -> None:
    marmots = Question.read("What is said about marmots?")
    assert marmots.said("Marmat live in burrow on the sunny slopes.") == 1.0  # "Marmots live..."
    assert misheard("marmot", {"marmat"}) and not misheard("bridge", {"fridge"})
    assert not misheard("brake", {"broke"}), "short words are one letter from too many others"


@needs_wordnet
def test_questions_name_what_their_answer_is_and_its_words() -> None:
    wine = Question.read("Which wine goes well with this dish?")
    assert wine.head == "wine" and not wine.grounded({"pasta", "salt", "water"})
    greeting = Question.read("What greeting is written on the screen?")
    assert greeting.grounded({"hello", "world"}), "hello is a kind of greeting"
    assert greeting.source == "text"
    assert Question.read("Which city is shown at night?").kind == "name"
    photos = Question.read("What colour do indoor photos turn without white balance?")
    assert not photos.holds("White balance matters"), "white is the question's own word"
    assert photos.holds("Indoor photos turn orange")
    assert Question.read("How far away is the Moon in kilometres?").units == {"kilometre"}
    stakes = Question.read("At what angle should the tent stakes go in?")
    assert stakes.said("Drive the tent stakes in at forty five degrees.") >= 2 / 3
    assert Question.read("How often should it be reapplied?").said("Reapply it often.") > 0
    kayak = Question.read("How does a kayak turn?")
    assert not kayak.new_in("KAYAK TURNS"), "a caption repeating the question answers nothing"
    assert kayak.new_in("To turn, sweep the paddle in a wide arc.")
    assert Question.read("Is flash photography allowed?").new_in("NO FLASH PHOTOGRAPHY")
    if tagger_installed():  # what a question is about: its subject, after the auxiliary
        assert subject_words("How much water does a cactus need?") == ["cactus"]
        assert subject_words("Where do tour groups meet?") == ["tour", "group"]
        assert subject_words("What is said about basil?") == []


def test_schema_fields_are_read_as_questions() -> None:
    schema = {
        "type": "object",
        "properties": {
            "monthly_price": {"type": "string", "description": "what the plan costs per month"},
            "tier": {"type": "string", "enum": ["basic", "pro"]},
            "seats": {"type": ["integer", "null"]},
            "yearly": {"type": "boolean"},
            "plans": {
                "type": "array",
                "items": {"type": "object", "properties": {"support_hours": {"type": "string"}}},
            },
        },
    }
    fields = free_fields(schema)
    assert fields == {
        "monthly_price": "what the plan costs per month",
        "seats": "",
        "support_hours": "",
    }
    assert [asked_kind(field_question(n, d)) for n, d in fields.items()] == [
        "price",
        "thing",
        "time",
    ]


def test_a_field_asking_for_the_first_or_last_line_gets_it() -> None:
    said = [
        Item("s0", "speech", 0.9, 3.0, "Fill your largest pot with water."),
        Item("s1", "speech", 3.5, 6.0, "Salt it well."),
        Item("s2", "speech", 6.5, 9.0, "Leftovers keep for three days."),
    ]
    pack = VideoEvidence(_facts(9.0), said, [], {}, "en").pack()
    schema = {
        "type": "object",
        "properties": {
            "first_line": {"type": "string"},
            "closing_words": {"type": "string"},
        },
    }
    filled = ExtractiveWriter().fill(pack, "", schema)
    assert filled["first_line"] == "Fill your largest pot with water."
    assert filled["closing_words"] == "Leftovers keep for three days."


def test_a_value_is_read_from_the_line_that_answers_its_field() -> None:
    # A unit in a field's name is how its value is written, not what it is about.
    assert field_question("adult_price_usd") == "What is the adult price?"
    assert in_units("Tickets cost $12 for adults.", {"dollar"})
    assert not in_units("Tickets cost 12 for adults.", {"dollar"})
    line = "Built in 1852, the tower is 40 m tall; tickets cost $12 for adults and $5 for children."
    assert value_in(line, ["year", "built"]) == "1852"
    assert value_in(line, ["adult", "price"]) == "$12"
    assert value_in(line, ["child", "ticket", "price"]) == "$5"
    assert value_in("Our pricing starts at 20 dollars per month.", ["monthly", "price"]) == (
        "20 dollars"
    )
    assert value_in("It opened in spring.", ["year"]) is None


@needs_wordnet
def test_topics_are_noun_phrases() -> None:
    found = noun_phrases(
        [
            "Fill your largest pot with water and bring it to a rolling boil.",
            "Drive the tent pegs in at forty five degrees.",
            "STEP 2: ADD SALT",
        ]
    )
    heads = [[p.head for p in phrases] for phrases in found]
    assert "pot" in heads[0] and "water" in heads[0]
    assert "peg" in heads[1] and "degree" not in heads[1], "no numbers as topics"
    assert heads[2] == ["salt"], "no verbs as topics"
    assert all(not p.text.isupper() for phrases in found for p in phrases)
    title = heading("OPENING HOURS")
    assert title is not None and title.text == "opening hours"
    assert heading("SENSE AND SENSIBILITY") is not None
    assert heading("STEP 2: ADD SALT") is None or not tagger_installed()
    one = heading("PASSWORDS")  # one word alone: a tagger reads it as a verb, WordNet does not
    assert one is not None and (one.text, one.head) == ("passwords", "password")
    assert heading("SUNSCREEN") is not None and heading("SIMMER") is None
    # One "-ing" word names an activity, as "COOKING PASTA" does (WordNet reads it as a verb).
    packing, kayaking = heading("1 - Packing"), heading("KAYAKING")
    assert packing is not None and packing.head == "packing"
    assert kayaking is not None and kayaking.text == "kayaking"
    assert heading("SING") is None and heading("NOTHING") is None
    assert noun_phrases(["user@host:~$ ls /usr"]) == [[]], "no prompts or paths as topics"
    assert generalise([("spaghetti", 1.0), ("noodle", 1.0), ("salt", 1.0)]) == "pasta"
    assert generalise([("lighthouse", 1.0), ("lamp", 1.0)]) is None
    # A part names its whole (WordNet meronymy): a brake is part of a wheeled vehicle.
    assert part_of("brake", "bike") and part_of("wheel", "car")
    assert not part_of("bike", "brake") and not part_of("station", "bike")


def _facts(duration: float) -> VideoFacts:
    return VideoFacts("v", "i", "talk.mp4", duration, 640, 360, 25.0)


def test_chapters_follow_the_subject_not_the_cuts(text_embedder: Any) -> None:
    """Three subjects with a pause between them, then cuts inside the last subject: chapters
    start at the pauses, not at the cuts; where the picture changes inside a pause (a cut just
    before the second subject is said), the chapter starts at that cut. A sign-off shown in
    large letters at a cut ("SEE YOU NEXT TIME") names no subject and starts no chapter, and
    the cut between two numbered steps shown on screen is no chapter start either."""
    embed = text_embedder.embed
    subjects = [
        [
            "The lighthouse keeper climbs the tower every evening.",
            "The lighthouse lamp turns all night above the cliff.",
            "Ships steer by the lighthouse beam in the fog.",
        ],
        [
            "Coffee beans are roasted until they turn dark brown.",
            "The barista grinds the roasted coffee just before brewing.",
            "Good espresso needs finely ground coffee and hot water.",
        ],
        [
            "The chess player moves the knight in the shape of an L.",
            "A bishop in chess only moves along the diagonals.",
            "Checkmate ends the chess game when the king cannot escape.",
        ],
    ]
    items: list[Item] = []
    t = 0.0
    for k, lines in enumerate(subjects):
        for n, line in enumerate(lines):
            items.append(Item(f"s{k}{n}", "speech", t, t + 4.0, line))
            t += 5.0  # one second between sentences
        t += 2.0  # three seconds between subjects
    duration = t
    items.append(Item("bye", "text", 38.6, duration, "SEE YOU NEXT TIME"))
    items.append(Item("step1", "text", 33.6, 38.5, "STEP 1: THE KNIGHT"))
    items.append(Item("step2", "text", 38.6, 43.0, "STEP 2: THE BISHOP"))
    cuts = [0.0, 16.6, 33.5, 38.5]  # a cut late in the first pause; shots of the last subject
    shots = [
        Item(f"c{n}", "shot", a, b, "")
        for n, (a, b) in enumerate(zip(cuts, [*cuts[1:], duration], strict=True))
    ]
    vectors = embed([i.text for i in items], kind="passage")
    ev = VideoEvidence(
        _facts(duration),
        sorted(items + shots, key=lambda i: i.start),
        [],
        {i.id: vectors[n] for n, i in enumerate(items)},
        "en",
    )
    starts = [c.start for c in chapters(ev)]
    assert len(starts) == 3, starts
    assert starts[1] == pytest.approx(16.6, abs=0.01) and starts[2] == pytest.approx(32.5, abs=1.0)
    # The same with the embedder at hand (lines centred on the language's background).
    ev.embed = lambda texts: embed(texts, kind="passage")
    assert [c.start for c in chapters(ev)] == starts


def test_a_paragraph_about_one_thing_is_one_chapter(text_embedder: Any) -> None:
    """Eight sentences about one lighthouse, its title on screen throughout and cuts between
    pictures: one chapter (centred on the video's own mean, what the lines share was taken
    away and the rest cut the paragraph in two)."""
    lines = [
        "The old lighthouse stands at the end of the harbour wall.",
        "It was built of granite in 1860 and is 26 metres tall.",
        "A keeper lived in the small house at its foot until the light was automated.",
        "Its lamp turns once every ten seconds and can be seen 30 kilometres out at sea.",
        "Visitors can climb the 112 steps to the gallery on Sundays.",
        "From the top you can see the whole bay and, on a clear day, the islands.",
        "The tower was painted red and white so that ships could see it by day.",
        "Every winter, volunteers clean the lens and polish the brass.",
    ]
    said = [Item(f"s{n}", "speech", 5.0 * n, 5.0 * n + 4.0, t) for n, t in enumerate(lines)]
    title = Item("t", "text", 0.0, 40.0, "THE OLD LIGHTHOUSE")
    shots = [Item(f"c{n}", "shot", a, a + 10.0, "") for n, a in enumerate((0.0, 10.0, 20.0, 30.0))]
    items = [*said, title]
    vectors = text_embedder.embed([i.text for i in items], kind="passage")
    ev = VideoEvidence(
        _facts(40.0),
        sorted(items + shots, key=lambda i: i.start),
        [],
        {i.id: vectors[n] for n, i in enumerate(items)},
        "en",
        lambda texts: text_embedder.embed(texts, kind="passage"),
    )
    assert [(c.start, c.end) for c in chapters(ev)] == [(0.0, 40.0)]


def test_wordnet_can_be_read_from_many_threads_at_once() -> None:
    """Requests are answered on several threads (a page asks for its gist and chapters at
    once): each thread's synsets and hypernyms are those one thread alone reads."""
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    from vidsense.models.wordnet import WORDNET_DIR, _reader_class, open_wordnet

    if missing_files():
        pytest.skip("WordNet is not installed (apt-get install wordnet-base)")
    words = ["writing", "kayak", "tent", "marmot", "bread", "warm", "dry", "market"] * 4

    def chains(reader: Any, word: str) -> list[str]:
        return sorted(
            h.name() for s in reader.synsets(word) for h in s.hypernyms() if h.min_depth() >= 3
        )

    open_wordnet()  # NLTK reads only folders on its path: this puts WordNet's there
    with warnings.catch_warnings():  # "multilingual functions are not available": none are used
        warnings.simplefilter("ignore", UserWarning)
        alone = _reader_class()(str(WORDNET_DIR), None)
        shared = _reader_class()(str(WORDNET_DIR), None)  # nothing cached: every read seeks
    expected = {w: chains(alone, w) for w in words}
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda w: (w, chains(shared, w)), words))
    assert all(chains_ == expected[w] for w, chains_ in found)
    assert "canoe.n.01" in expected["kayak"]


def test_a_set_length_summary_of_a_silent_clip_says_what_the_picture_shows() -> None:
    """A phone clip with nothing said or written: asked for two sentences, the summary says
    what the picture shows (as the plain summary does), then its length, and cites the frame."""
    shot = Item("c0", "shot", 0.0, 1.6, "")
    dog = Item("k0", "visual", 0.0, 1.6, "animal, dog (Samoyed)", score=0.8)
    ev = VideoEvidence(_facts(1.6), [shot, dog], [], {}, "en")
    pack = ev.pack()
    text = ExtractiveWriter().answer(pack, "Summarize this video in two sentences.")
    assert text == (
        "The picture shows a Samoyed (a dog) at 0:00. "
        "The video is 0:02 long, one shot with no speech or text on screen."
    )
    assert dog in pack.cited.values()


def test_a_value_shown_otherwise_than_it_is_said_is_quoted_beside_it() -> None:
    """A time on screen that differs from the one heard with it (speech recognition misheard
    "7.15" as "7.50") is quoted after the spoken answer; a caption with the same value
    restates it and is left out, and a question that asks for no value quotes the line alone."""
    said = Item(
        "s0", "speech", 90.8, 95.0, "The little red train leaves the city at 7.50 every morning."
    )
    quote = 'At 1:31, the video says: "The little red train leaves the city at 7.50 every morning."'
    writer = ExtractiveWriter()

    def answer(shown: str, question: str) -> str:
        caption = Item("t0", "text", 91.0, 100.0, shown)
        pack = VideoEvidence(_facts(120.0), [said, caption], [], {}, "en").pack()
        pack.focus = [said]
        return writer.answer(pack, question)

    assert answer("VALLEY LINE 07:15", "When does the train leave?") == (
        f'{quote} At 1:31, the screen shows "VALLEY LINE 07:15".'
    )
    assert answer("VALLEY LINE 07:50", "When does the train leave?") == quote
    assert answer("VALLEY LINE 07:15", "Which train goes to the valley?") == quote


def test_a_sign_off_on_screen_titles_no_chapter() -> None:
    """ "SEE YOU NEXT TIME" in large letters early in the last chapter names nothing: the
    chapter is titled by what is said in it, not by the sign-off."""
    bye = Item("t0", "text", 10.0, 30.0, "SEE YOU NEXT TIME", box=(100, 150, 400, 40))
    said = [
        Item("s0", "speech", 0.7, 4.6, "On the last day we hire bikes and ride to the station."),
        Item("s1", "speech", 10.3, 14.8, "The bikes have good brakes for the steep road."),
    ]
    ev = VideoEvidence(_facts(30.0), sorted([bye, *said], key=lambda i: i.start), [], {}, "en")
    writer = ExtractiveWriter()
    assert writer.screen_title(ev.pack()) is None
    title, _ = writer.describe(ev.pack(), "chapter")
    assert "next time" not in title.lower() and title


def test_a_stretch_is_named_after_the_whole_its_parts_belong_to() -> None:
    """An airport, bikes and brakes are each named once; the brakes checked are a part of the
    bikes, so the stretch is about bikes."""
    said = [
        Item("s0", "speech", 0.7, 4.6, "On the last day we hire bikes at the airport."),
        Item("s1", "speech", 5.3, 9.8, "Check the brakes before you leave."),
    ]
    ev = VideoEvidence(_facts(10.0), said, [], {}, "en")
    assert ExtractiveWriter().subjects(ev.pack(), limit=1) == ["bikes"]


def _subjects_said(lines: list[str]) -> list[str]:
    """The two leading subjects of ``lines`` said one after another, 5 s apart."""
    said = [Item(f"s{n}", "speech", 5.0 * n + 0.5, 5.0 * n + 4.0, t) for n, t in enumerate(lines)]
    ev = VideoEvidence(_facts(5.0 * len(lines)), said, [], {}, "en")
    return ExtractiveWriter().subjects(ev.pack(), limit=2)


def test_a_class_said_after_its_one_kind_names_that_kind() -> None:
    """ "The tower", said twice after "the old lighthouse" (a lighthouse is a kind of tower, and
    the only one named), speaks of the lighthouse, which then leads the bay (said twice);
    "the tower" said before any lighthouse is named refers to nothing yet."""
    lines = [
        "The old lighthouse stands at the end of the harbour wall.",
        "From the top you can see the whole bay.",
        "Fishing boats leave the bay at dawn.",
        "The tower was painted red and white so that ships could see it.",
        "Visitors climb the tower on Sundays.",
    ]

    assert _subjects_said(lines) == ["lighthouse", "bay"]
    assert "lighthouse" not in _subjects_said([*lines[3:], *lines[1:3], lines[0]])


def test_a_sentence_about_it_speaks_of_what_the_one_before_was_about() -> None:
    """The lighthouse is named once, then twice as "it"; the bay is named twice: the lighthouse
    leads. An "it" after a sentence about a person (the keeper) refers to nobody named."""
    lines = [
        "The old lighthouse stands at the end of the harbour wall.",
        "It was built on granite in 1860.",
        "It can be seen from far out at sea.",
        "From the top you can see the whole bay.",
        "Fishing boats leave the bay at dawn.",
    ]

    assert _subjects_said(lines) == ["lighthouse", "bay"]
    keeper = [lines[0], "A keeper lived in the cottage below.", *lines[1:]]
    assert _subjects_said(keeper)[0] == "bay"


def test_what_every_chapter_speaks_of_leads_the_title_and_topics() -> None:
    """Three chapters, each about its own subject and each speaking of the moon (once only
    inside a noun phrase: "moon gravity"): the gist's title and topics name the moon before
    the chapters' subjects, and the summary says so; chapters that share nothing are titled by
    their subjects alone."""
    lines = [
        ["The moon shows phases as it travels around us.", "Each phase lasts a few days."],
        ["Moon gravity pulls the ocean into a bulge.", "The ocean rises twice a day."],
        ["A lunar eclipse darkens the moon.", "During a lunar eclipse the shadow turns red."],
    ]
    said = [
        Item(f"s{k}{n}", "speech", 10.0 * k + 4.0 * n, 10.0 * k + 4.0 * n + 3.5, line)
        for k, pair in enumerate(lines)
        for n, line in enumerate(pair)
    ]
    ev = VideoEvidence(_facts(30.0), said, [], {}, "en")
    thirds = [(0.0, 10.0), (10.0, 20.0), (20.0, 30.0)]
    writer = ExtractiveWriter()
    gist = writer.gist(ev.pack(chapters=thirds))
    assert gist.title.startswith("Moon: ") and "Ocean" in gist.title, gist.title
    assert gist.topics[0] == "Moon" and {"Ocean", "Lunar Eclipse"} <= set(gist.topics), gist.topics
    assert writer.summarize(ev.pack(chapters=thirds)).startswith("This video covers moon: ")
    apart = VideoEvidence(_facts(30.0), [i for i in said if "moon" not in i.text], [], {}, "en")
    assert not writer.gist(apart.pack(chapters=thirds)).title.startswith("Moon")
    # Words said once in each of four chapters of five lines ("bus", "experts") are habits,
    # not a subject, however often they are said in all.
    subjects = ("lighthouse", "volcano", "glacier", "orchard")
    habit = [
        Item(f"h{k}{n}", "speech", 10.0 * k + 2.0 * n, 10.0 * k + 2.0 * n + 1.5, line)
        for k, subject in enumerate(subjects)
        for n, line in enumerate(
            [
                f"The {subject} is old.",
                "Visitors come by bus every day.",
                f"The {subject} was painted last year.",
                "Experts say the weather matters most.",
                "Photos sell well in the shop.",
            ]
        )
    ]
    quarters = [(0.0, 10.0), (10.0, 20.0), (20.0, 30.0), (30.0, 40.0)]
    titled = writer.gist(VideoEvidence(_facts(40.0), habit, [], {}, "en").pack(chapters=quarters))
    assert titled.title == "Lighthouse, Volcano, Glacier and Orchard", titled.title


def test_who_a_pronoun_stands_for_is_quoted_with_it() -> None:
    """Asked who, a line that says only "he" is quoted with the sentence before it that names
    him; asked anything else, it stands alone."""
    named = Item("s0", "speech", 0.5, 5.0, "And Mr. John Dashwood had leisure to consider it.")
    he = Item("s1", "speech", 5.6, 8.0, "He was not an ill-disposed young man.")
    ev = VideoEvidence(_facts(9.0), [named, he], [], {}, "en")
    writer = ExtractiveWriter()
    who = writer.answer(ev.pack(focus=[he]), "Who is described as not ill disposed?")
    assert who.startswith("At 0:00") and "John Dashwood" in who and "ill-disposed" in who, who
    was = writer.answer(ev.pack(focus=[he]), "Was the young man ill disposed?")
    assert "Dashwood" not in was and "ill-disposed" in was, was


def test_which_animal_is_answered_with_the_sentence_that_names_it() -> None:
    """Asked which animal, a line that speaks of "one of them" is quoted with the sentence
    earlier in its chapter that names the animal, across a long pause; from another chapter,
    or asked anything else, it stands alone."""
    named = Item("s0", "speech", 1.0, 3.5, "Marmots live in burrows on the sunny slopes.")
    them = Item("s1", "speech", 11.0, 15.0, "When one of them sees danger, it gives a whistle.")
    ev = VideoEvidence(_facts(16.0), [named, them], [], {}, "en")
    writer = ExtractiveWriter()
    which = writer.answer(ev.pack(focus=[them], chapters=[(0.0, 16.0)]), "Which animal whistles?")
    assert which.startswith("At 0:01") and "Marmots" in which and "whistle" in which, which
    asked = writer.answer(ev.pack(focus=[them], chapters=[(0.0, 16.0)]), "What does it give?")
    assert "Marmots" not in asked, asked
    apart = ev.pack(focus=[them], chapters=[(0.0, 9.0), (9.0, 16.0)])
    assert "Marmots" not in writer.answer(apart, "Which animal whistles?")
    assert Question.read("¿Qué animal silba para avisar del peligro?").head == "animal"
    assert kind_of("marmot", "animal") and kind_of("paris", "city")
    assert not kind_of("animal", "animal") and not kind_of("stone", "part"), "no class too broad"


def test_a_numbered_line_under_a_series_title_names_its_part() -> None:
    """An opening slide "A WEEKEND IN THE MOUNTAINS" over "1 - Packing" (both in large
    print): the numbered line is the part's heading and its subject, the line above names what
    the parts belong to; without a numbered line the topmost title stays the heading, and a
    clock range ("10:00 - 18:00") numbers no part."""
    series = Item("t0", "text", 0.0, 5.0, "A WEEKEND IN THE MOUNTAINS", box=(30, 147, 578, 26))
    part = Item("t1", "text", 0.0, 5.0, "1 - Packing", box=(243, 203, 152, 30))
    hours = Item("t2", "text", 9.0, 18.0, "OPENING HOURS", box=(40, 60, 300, 30))
    times = Item("t3", "text", 9.0, 18.0, "10:00 - 18:00", box=(40, 150, 200, 30))
    said = [
        Item("s0", "speech", 0.9, 6.3, "Start with a rucksack of about forty litres."),
        Item("s1", "speech", 12.8, 17.1, "The sleeping bag goes right at the bottom."),
    ]
    items = sorted([series, part, hours, times, *said], key=lambda i: i.start)
    ev = VideoEvidence(_facts(20.0), items, [], {}, "en")
    assert [ev.is_heading(i) for i in (series, part, hours, times)] == [False, True, True, False]
    assert ExtractiveWriter().subjects(ev.pack(0.0, 8.0), limit=1) == ["packing"]


def test_a_screen_of_lines_counts_as_one_caption() -> None:
    """A terminal listing read off the screen (many lines shown at once) weighs as much as one
    caption, so what is said names the part: "directory listing", not the line "games lib"."""
    said = Item("s0", "speech", 0.9, 3.0, "I will show a directory listing.")
    listing = ["bin", "include lib64", "local share", "games lib", "Libexec sbin src"]
    lines = [
        Item(f"t{n}", "text", 5.0, 8.0, text, box=(20, 40 + 20 * n, 200, 14))
        for n, text in enumerate(listing)
    ]
    lines.append(Item("t9", "text", 5.0, 6.0, "games lib", box=(20, 300, 200, 14)))
    ev = VideoEvidence(_facts(9.0), [said, *lines], [], {}, "en")
    assert ExtractiveWriter().subjects(ev.pack(), limit=1) == ["directory listing"]


def test_who_speaks_is_answered_from_what_the_speaker_says() -> None:
    """ "Who is speaking?" is about a voice: the line where the speaker gives a name, else that
    no name is given and when speech is heard; a clip with no speech says so. None of these is
    "not in the video"."""
    said = [
        Item("s0", "speech", 1.0, 3.5, "Welcome back to the workshop."),
        Item("s1", "speech", 4.0, 7.0, "Hello, I'm Jane Doe and today we fix a puncture."),
        Item("s2", "speech", 8.0, 11.5, "First, take the wheel off the frame."),
    ]
    writer = ExtractiveWriter()
    ev = VideoEvidence(_facts(12.0), said, [], {}, "en")
    pack = ev.pack()
    text = writer.answer(pack, "Who is speaking?")
    assert text == 'At 0:04, the video says: "Hello, I\'m Jane Doe and today we fix a puncture."'
    assert list(pack.cited.values()) == [said[1]]
    unnamed = VideoEvidence(_facts(12.0), [said[0], said[2]], [], {}, "en")
    for question in ("Who is the narrator?", "What is the name of the presenter?"):
        pack = unnamed.pack()
        text = writer.answer(pack, question)
        assert text == (
            "The video does not say who is speaking: no one gives their name. "
            "Speech is heard from 0:01 to 0:12."
        )
        assert list(pack.cited.values()) == [said[0], said[2]]
    silent = VideoEvidence(_facts(2.0), [Item("c0", "shot", 0.0, 2.0, "")], [], {}, "en")
    assert writer.answer(silent.pack(), "Whose voice is it?").startswith("No one speaks")
    # "I'm going to" names no one; a question about what is said is not about the speaker.
    assert introduced("I'm going to show you the chain.") is None
    assert not asks_speaker("What does the narrator say about the chain?")
    assert asks_speaker("Who talks about the chain?")
    assert spoken_of("Who talks about the chain?") == "What is said about chain?"


def test_an_answer_said_after_the_questions_own_words_answers_it() -> None:
    """ "What colour do indoor photos turn without white balance?": both lines hold a colour,
    but only the one where it follows the question's verb ("photos turn orange") answers it, and
    gains on the line nearer in meaning ("neutral gray", said of white balance)."""
    q = Question.read("What colour do indoor photos turn without white balance?")
    near = "White balance tells the camera what neutral gray should look like."
    answer = "Indoor lamps are warm, so without correction photos turn orange."
    assert not q.bound(near) and q.bound(answer)
    assert q.score(answer, 0.9) > q.score(near, 0.9)
    cake = Question.read("How long should the cake bake?")
    assert cake.bound("Let it bake for 40 minutes at 180 degrees.")
    assert not cake.bound("The cake is served after 40 minutes.")


def test_a_compound_names_a_kind_of_the_thing_asked_for() -> None:
    """ "Which clouds warn of a thunderstorm?" asks for a kind of cloud: "ANVIL CLOUD" names
    one (a noun before "cloud"), "tall clouds" and "small fluffy clouds" do not (adjectives),
    and the line naming one gains over them."""
    q = Question.read("Which clouds warn of a thunderstorm?")
    anvil = "ANVIL CLOUD = STORM"
    tall = "Tall clouds shaped like an anvil warn of a thunderstorm."
    assert q.head == "cloud" and q.kind_named(anvil)
    assert not q.kind_named(tall) and not q.kind_named("Small fluffy clouds mean a fair day.")
    assert q.score(anvil, 0.85) - q.score(anvil.replace("ANVIL ", ""), 0.85) >= 0.09


def test_a_title_hashtags_topics_and_sounds_are_answered_not_refused() -> None:
    """Requests any video can answer ("give this video a title", "what sounds can be heard?")
    were answered "not in the video": they name nothing said or shown. Now the title, hashtags
    and topics come from the gist, sounds from the audio events with when they are heard."""
    items = [
        Item("t0", "text", 0.0, 4.0, "BREAD AT HOME", box=(40, 60, 400, 40)),
        Item("s0", "speech", 0.5, 4.0, "Knead the dough for ten minutes."),
        Item("s1", "speech", 5.0, 9.0, "Then let the dough rise in a warm place."),
        Item("a0", "audio", 0.0, 9.6, "Music", score=0.7),
        Item("a1", "audio", 10.0, 20.0, "Music", score=0.7),
        Item("a2", "audio", 14.0, 15.0, "Dog", score=0.6),
    ]
    ev = VideoEvidence(_facts(20.0), items, [], {}, "en")
    writer = ExtractiveWriter()
    title = writer.answer(ev.pack(), "Give this video a title.")
    assert title == writer.gist(ev.pack()).title and "\n" not in title
    tags = writer.answer(ev.pack(), "Suggest hashtags for this video.").split()
    assert tags and all(t.startswith("#") for t in tags)
    listed = writer.answer(ev.pack(), "List the topics as hashtags.").splitlines()
    assert listed == [f"- {t}" for t in tags], "the topics written as hashtags, one a line"
    topics = writer.gist(ev.pack()).topics
    assert writer.answer(ev.pack(), "List the topics.").splitlines() == [f"- {t}" for t in topics]
    assert writer.answer(ev.pack(), "What topics are covered?").startswith("The video covers ")
    heard = writer.answer(ev.pack(), "What sounds can be heard?")
    assert heard == "Music (0:00-0:20) and dog (0:14-0:15) can be heard."
    pack = ev.pack()
    assert writer.answer(pack, "Can you hear a dog barking?") == "Dog (0:14-0:15) can be heard."
    assert list(pack.cited.values()) == [items[5]]
    assert writer.answer(ev.pack(), "Is there applause?").startswith(NOT_IN_VIDEO)
    timed = writer.answer(ev.pack(), "List what is said with timestamps.")
    assert timed.splitlines()[0].startswith("- 0:00-0:04 ")
    one = writer.answer(ev.pack(), "Summarize in one sentence.")
    assert one in ("Knead the dough for ten minutes.", "Then let the dough rise in a warm place.")
    made = writer.answer(ev.pack(), "Create chapters for this video.").splitlines()
    assert len(made) == 1 and made[0].startswith("- 0:00-0:20 "), "one chapter is a chapter"
    said = writer.answer(ev.pack(), "What is said in this video?")
    assert said.startswith('The video says: "Knead the dough') and "bread" not in said.lower()
    both = writer.answer(ev.pack(), "What is said in this video, and what is shown?")
    assert both.startswith(said) and "bread at home" in both[len(said) :].lower(), both
    # Asked as two questions, "what is shown" is the picture and screen alone: no line is
    # quoted twice.
    shown = writer.answer(ev.pack(), "What is shown?")
    assert shown == 'The screen shows "Bread at Home".', shown
    silent = VideoEvidence(_facts(2.0), [Item("c0", "shot", 0.0, 2.0, "")], [], {}, "en")
    assert writer.answer(silent.pack(), "What is said in this video?").startswith(
        "Nothing is said in the video"
    )
    assert writer.answer(silent.pack(), "What can you hear?") == (
        "No sounds were recognised in the video."
    )


def test_a_picture_is_said_to_show_only_what_the_classifier_is_sure_of() -> None:
    """A keyframe is said to show something when its best label (a thing: "Samoyed") is sure,
    and then only its sure tags with it; a category whose score is spread thin over many
    unsure classes ("animal" at 0.81 over a "green mamba" at 0.16, a cartoon rabbit) is said
    of no picture; people found are said however unsure the labels are."""

    def keyframe(
        start: float, labels: list[tuple[str, float]], tags: list[tuple[str, float]], faces: int = 0
    ) -> Item:
        data = {
            "labels": [{"index": n, "name": a, "score": b} for n, (a, b) in enumerate(labels)],
            "tags": [{"name": a, "score": b} for a, b in tags],
            "shows": "never read when something is sure",
            "faces": faces,
        }
        return _item(Segment("v", "visual", start, start + 4.0, "", data))

    dog = keyframe(
        0.0,
        [("Samoyed", 0.86), ("Great Pyrenees", 0.05)],
        [("animal", 0.99), ("dog", 0.96), ("wolf", 0.3)],
    )
    assert (dog.text, dog.score) == ("animal, dog (Samoyed)", 0.86)
    rabbit = keyframe(4.0, [("green mamba", 0.16)], [("animal", 0.81), ("reptile", 0.22)])
    assert rabbit.score == 0.0
    crowd = keyframe(8.0, [("groom", 0.2)], [("person", 0.7)], faces=3)
    assert crowd.text == "person; 3 people" and crowd.score >= 0.5
    ev = VideoEvidence(_facts(12.0), [dog, rabbit, crowd], [], {}, "en")
    assert ExtractiveWriter().answer(ev.pack(), "What objects are visible?") == (
        "The picture shows a Samoyed (a dog) at 0:00 and 3 people at 0:08."
    )


def test_what_the_picture_shows_and_how_many_people_are_answered_from_keyframes() -> None:
    """ "What objects are visible?" names what keyframes show; "how many people?" counts the
    faces found (the most on one keyframe), or says none was found and when faces are looked
    for; neither is "not in the video"."""
    dog = Item("k0", "visual", 0.0, 4.0, "animal, dog (Samoyed)", score=0.9)
    crowd = Item("k1", "visual", 4.0, 9.0, "person (groom); 3 people", score=0.7)
    pair = Item("k2", "visual", 9.0, 12.0, "building (palace); 2 people", score=0.6)
    writer = ExtractiveWriter()
    ev = VideoEvidence(_facts(12.0), [dog, crowd, pair], [], {}, "en")
    assert writer.answer(ev.pack(), "What objects are visible?") == (
        "The picture shows a Samoyed (a dog) at 0:00, a groom and 3 people at 0:04 "
        "and a palace and 2 people at 0:09."
    )
    # "What is shown?" and "what can you see?", naming nothing, ask the same; "what is seen on
    # the bridge?" names something and is answered from the lines about it.
    listed = writer.answer(ev.pack(), "What objects are visible?")
    assert writer.answer(ev.pack(), "What is shown?") == listed
    assert writer.answer(ev.pack(), "What can you see?") == listed
    assert not about_picture("What is seen on the bridge?")
    assert not about_picture("What is shown at 0:03?"), "what is there then"
    assert not about_picture("What is shown at the very end?")
    pack = ev.pack()
    assert writer.answer(pack, "How many people are in the video?") == (
        "Up to 3 people are seen at once (at 0:04), counted by their faces."
    )
    assert list(pack.cited.values()) == [crowd]
    alone = VideoEvidence(_facts(4.0), [dog], [], {}, "en")
    answer = writer.answer(alone.pack(), "Are there any people?")
    assert answer.startswith("No face was found in the picture") and "Samoyed" in answer


def test_the_language_spoken_and_the_text_on_screen_are_answered() -> None:
    """ "What language is spoken?" and "is this video in English?" come from the language
    speech recognition detected; "what text appears on screen?" lists the lines read, each once
    with when it first appears; "what is the main topic?" names one subject."""
    said = Item("s0", "speech", 0.8, 4.0, "Die Kette wird mit einem Tropfen Öl geschmiert.")
    title = Item("t0", "text", 0.0, 3.0, "KETTE OLEN", box=(40, 60, 300, 40))
    again = Item("t1", "text", 5.0, 6.0, "Kette olen", box=(40, 60, 300, 40))
    ev = VideoEvidence(_facts(6.0), [title, said, again], [], {}, "de")
    writer = ExtractiveWriter()
    assert writer.answer(ev.pack(), "What language is spoken?") == "The speech is in German."
    assert writer.answer(ev.pack(), "Is this video in English?") == ("No: the speech is in German.")
    assert writer.answer(ev.pack(), "Is it in German?") == "Yes: the speech is in German."
    assert writer.answer(ev.pack(), "What text appears on screen?") == (
        'On screen: "KETTE OLEN" (0:00).'
    )
    assert writer.answer(ev.pack(), "What is the main topic?").startswith("The video is about ")
    silent = VideoEvidence(_facts(2.0), [Item("c0", "shot", 0.0, 2.0, "")], [], {}, None)
    assert writer.answer(silent.pack(), "Is there any text?") == "No text was read on screen."
    assert writer.answer(silent.pack(), "What language is spoken?").startswith("No one speaks")


def test_highlights_asked_for_in_a_prompt_are_the_computed_spans() -> None:
    """ "What are the key moments?" lists the highlight spans the service computed for the
    question (times from perception, never from the writer), each with what happens in it."""
    items = [
        Item("s0", "speech", 0.5, 4.0, "Knead the dough for ten minutes."),
        Item("s1", "speech", 5.0, 9.0, "Then let the dough rise in a warm place."),
        Item("a0", "audio", 10.0, 14.0, "Applause", score=0.8),
    ]
    ev = VideoEvidence(_facts(14.0), items, [], {}, "en")
    pack = ev.pack()
    pack.highlights = [(0.0, 4.5), (10.0, 14.0)]
    lines = ExtractiveWriter().answer(pack, "What are the key moments?").splitlines()
    assert [line.split(" ")[1] for line in lines] == ["0:00-0:04", "0:10-0:14"]
    assert "Knead the dough" in lines[0] and "Applause" in lines[1]


def test_how_a_video_is_cut_is_answered_from_its_shots() -> None:
    """ "How many shots are there?" and "are there any dissolves?" were "not in the video": the
    shots say how many there are and how each began (a cut, a dissolve or a fade)."""
    shots = [
        Item("c0", "shot", 0.0, 4.0, ""),
        Item("c1", "shot", 4.0, 9.0, "cut"),
        Item("c2", "shot", 9.0, 14.0, "dissolve"),
        Item("c3", "shot", 14.0, 20.0, "cut"),
    ]
    items = [*shots, Item("s0", "speech", 0.5, 3.0, "Welcome to the harbour.")]
    ev = VideoEvidence(_facts(20.0), items, [], {}, "en")
    writer = ExtractiveWriter()
    told = "The video has 4 shots, joined by 2 cuts and 1 dissolve (at 0:09)."
    for asked in ("How many shots are there?", "How many cuts are in the video?"):
        assert writer.answer(ev.pack(), asked) == told, asked
    pack = ev.pack()
    assert writer.answer(pack, "Are there any dissolves?") == told
    assert list(pack.cited) == ["c2"]
    assert writer.answer(ev.pack(), "Does the video use fades?") == f"No fade was found. {told}"
    one = VideoEvidence(_facts(5.0), [Item("c0", "shot", 0.0, 5.0, "")], [], {}, "en")
    assert writer.answer(one.pack(), "How many scenes are there?") == (
        "The video has 1 shot: it is not cut."
    )
    # Indexed before transitions were kept: boundaries, not kinds.
    old = [Item(i.id, "shot", i.start, i.end, "") for i in shots]
    before = VideoEvidence(_facts(20.0), old, [], {}, "en")
    assert writer.answer(before.pack(), "How many shots are there?") == (
        "The video has 4 shots, 3 boundaries between them."
    )
    # Not about the cut: cutting an onion is something said or shown.
    assert not writer.answer(ev.pack(), "How many times is the onion cut?").startswith("The video")
    rated = writer.answer(ev.pack(), "Rate this video from 1 to 10.")
    assert rated.startswith("I can't judge how good a video is here"), rated

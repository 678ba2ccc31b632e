"""The demo's sample articles: our own short texts, in code (no database, no migration).

Each article's `id` is the article id the entitlements API counts
(`POST /api/entitlements/articles/<id>/read/`): 1-128 of [A-Za-z0-9._:-].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    section: str
    title: str
    standfirst: str
    author: str
    published: date
    paragraphs: tuple[str, ...]

    @property
    def teaser(self) -> str:
        """The free part: the first paragraph; the rest is behind the paywall."""
        return self.paragraphs[0]

    @property
    def paywalled(self) -> tuple[str, ...]:
        return self.paragraphs[1:]


SECTIONS = ("World", "Business", "Culture", "Science", "Opinion")

ARTICLES: tuple[Article, ...] = (
    Article(
        id="harbour-town-votes-on-sea-wall",
        section="World",
        title="A harbour town votes on its sea wall",
        standfirst="Residents of a fishing port weigh a century-old wall against the tides.",
        author="Mara Lindqvist",
        published=date(2026, 11, 2),
        paragraphs=(
            (
                "The sea wall that has sheltered the harbour since 1911 is cracking, and on "
                "Sunday the town decides whether to mend it or build anew further out."
            ),
            (
                "Engineers say a repair buys twenty years; a new wall, sixty, at four times the "
                "cost. The fishing cooperative favours the repair, fearing years of works."
            ),
            (
                "Younger residents, many of whom commute inland, argue that the town must plan "
                "for storms that now arrive every winter rather than once a decade."
            ),
            (
                "Whatever the result, the regional council has promised to match the town's "
                "spending, a pledge that has made the vote feel less like a gamble."
            ),
        ),
    ),
    Article(
        id="night-trains-return-to-the-north",
        section="World",
        title="Night trains return to the north",
        standfirst="A sleeper service links three capitals again after fifteen years.",
        author="Tomasz Wierzba",
        published=date(2026, 11, 5),
        paragraphs=(
            (
                "For the first time in fifteen years, a sleeper train left the central station "
                "at ten last night and will wake its passengers by a northern lake."
            ),
            (
                "The operator refurbished carriages bought second-hand, fitting each cabin with "
                "a washbasin, reading lights and, to the delight of early reviewers, real pillows."
            ),
            (
                "Tickets for the first month sold out in a day, though the operator admits the "
                "line must fill two thirds of its berths all year to pay its way."
            ),
        ),
    ),
    Article(
        id="bakery-chain-bets-on-four-day-week",
        section="Business",
        title="A bakery chain bets on the four-day week",
        standfirst="Forty shops, one experiment: fewer days, the same pay, earlier mornings.",
        author="Ines Carvalho",
        published=date(2026, 11, 9),
        paragraphs=(
            (
                "A regional bakery chain with forty shops will move its bakers to a four-day "
                "week in January, keeping their pay and lengthening each shift by an hour."
            ),
            (
                "The owners say the change is about hiring: bakers start before dawn, and the "
                "chain lost a fifth of them last year to jobs with gentler hours."
            ),
            (
                "Economists who study such trials caution that results from offices may not "
                "carry over to ovens, where output is tied to the hours a shop is open."
            ),
        ),
    ),
    Article(
        id="small-ports-and-the-price-of-containers",
        section="Business",
        title="Small ports and the price of a container",
        standfirst="Why shipping a box to a minor port costs more than to a giant one.",
        author="Kwame Mensah",
        published=date(2026, 11, 12),
        paragraphs=(
            (
                "Sending a container to a small port can cost twice as much as sending it to a "
                "hub three times farther away, and the reasons are mostly about cranes."
            ),
            (
                "Large ports unload a ship in a day; small ones may take three, and every day "
                "at the quay is a day the ship earns nothing."
            ),
            (
                "Some small ports are pooling orders for new cranes to cut the price, a plan "
                "that needs their rivals to trust each other for at least a decade."
            ),
        ),
    ),
    Article(
        id="the-quiet-revival-of-the-string-quartet",
        section="Culture",
        title="The quiet revival of the string quartet",
        standfirst="Young audiences are filling small halls for four players and no microphones.",
        author="Elodie Marchand",
        published=date(2026, 11, 14),
        paragraphs=(
            (
                "On a wet Tuesday, a hall of two hundred seats sold out for a string quartet, "
                "and most of the audience was under thirty."
            ),
            (
                "Promoters credit short programmes, cheap tickets and the chance to sit close "
                "enough to hear the players breathe between movements."
            ),
            (
                "The quartet's cellist says the silence is the draw: an hour without a screen, "
                "she suggests, has become a luxury that people will pay for."
            ),
        ),
    ),
    Article(
        id="a-museum-lends-its-storerooms",
        section="Culture",
        title="A museum opens its storerooms",
        standfirst="Ninety per cent of a collection is never shown. One museum lends it out.",
        author="Jonas Falk",
        published=date(2026, 11, 17),
        paragraphs=(
            (
                "Most of a museum's collection lives in storerooms, and one city museum has "
                "decided that its surplus chairs, lamps and maps should live in schools instead."
            ),
            (
                "Teachers can borrow objects for a term; each comes with a card explaining "
                "where it was made and how it reached the museum."
            ),
            (
                "Conservators were wary at first, but after a year of loans only one object, a "
                "brass compass, has come back with a scratch."
            ),
        ),
    ),
    Article(
        id="counting-bees-with-microphones",
        section="Science",
        title="Counting bees with microphones",
        standfirst="Researchers listen to hives to tell a healthy colony from a failing one.",
        author="Priya Raman",
        published=date(2026, 11, 19),
        paragraphs=(
            (
                "A healthy hive hums at a different pitch from one that has lost its queen, and "
                "researchers are teaching cheap microphones to hear the difference."
            ),
            (
                "The devices, left in hives for a season, flagged colonies in trouble weeks "
                "before beekeepers noticed anything on their own inspections."
            ),
            (
                "The team now wants to learn whether the hum also warns of disease, which would "
                "let keepers treat a colony before the infection spreads."
            ),
        ),
    ),
    Article(
        id="why-the-lake-froze-late",
        section="Science",
        title="Why the lake froze late",
        standfirst="A century of ice records shows winters arriving later on the water.",
        author="Henrik Aalto",
        published=date(2026, 11, 23),
        paragraphs=(
            (
                "Since 1920 a family of ferry keepers has written down the day their lake froze "
                "over, and the record shows the date moving later by a week every thirty years."
            ),
            (
                "Climate scientists say such hand-kept logs are rare and valuable, because they "
                "began long before satellites and weather stations."
            ),
            (
                "The family has given the notebooks to the university, which will scan them and "
                "publish the dates for anyone to study."
            ),
        ),
    ),
    Article(
        id="in-praise-of-the-public-library",
        section="Opinion",
        title="In praise of the public library",
        standfirst="The last indoor place where nobody asks you to buy anything.",
        author="Ruth Okafor",
        published=date(2026, 11, 26),
        paragraphs=(
            (
                "There is one warm room in most towns where you may sit all afternoon and nobody "
                "will ask you to buy a coffee: the public library."
            ),
            (
                "Libraries lend books, but they also lend quiet, printers, help with forms and a "
                "place for teenagers to be together without spending money."
            ),
            (
                "When councils cut opening hours to save a little, they spend that saving many "
                "times over in the services that lonely people end up needing."
            ),
        ),
    ),
    Article(
        id="slow-news-is-good-news",
        section="Opinion",
        title="Slow news is good news",
        standfirst="A case for reading the story a day later, when it is right.",
        author="Daniel Reyes",
        published=date(2026, 11, 30),
        paragraphs=(
            (
                "The first report of anything is usually wrong in some detail, and the urge to "
                "read it first is mostly an urge to feel informed."
            ),
            (
                "A story read the next morning has its numbers checked, its quotes in context and "
                "an answer to the question everyone asked the night before."
            ),
            (
                "Readers who pay for journalism are, in effect, paying for that extra day; it is "
                "the best bargain in the newspaper."
            ),
        ),
    ),
)

_BY_ID = {article.id: article for article in ARTICLES}


def article_get(article_id: str) -> Article | None:
    return _BY_ID.get(article_id)

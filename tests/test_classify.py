"""The classifier: hard cases decided by docs/labelling-guide.md, evidence, determinism,
the topic scheme, and clear errors for malformed rule files."""

from __future__ import annotations

import csv
import random
import re
import shutil
from pathlib import Path

import pyoxigraph
import pytest

from hikgraph.classify import Classification, Classifier, default_classifier, topic_concepts

from conftest import LABELS, MODEL, ROOT, TERMS, TOPICS, WORDS

SEED = LABELS / "seed.csv"

# The definitions of DESIGN.md, word for word: the scheme must carry exactly these.
DESIGN_TOPICS = {
    "sanctions": (
        "Sanctions & blacklists",
        "US or other governments' sanctions, Entity List / economic blacklisting, investment "
        'bans on "military companies", deliberations or threats of sanctions.',
    ),
    "government-bans": (
        "Government bans & procurement",
        "Laws, rules or decisions that ban or restrict government purchase or use (NDAA, FCC "
        "rules, departmental bans), removals or replacements by public bodies, procurement, "
        "tenders, sales to governments.",
    ),
    "human-rights": (
        "Human rights & Xinjiang",
        "Repression of Uyghurs and Muslim minorities, Xinjiang camps, ethnic tracking, "
        "human-rights criticism of the company.",
    ),
    "cybersecurity": (
        "Cybersecurity & espionage",
        "Vulnerabilities, backdoors, hacking, fears of spying or footage sent to China, hidden "
        "microphones, national-security risk from the devices.",
    ),
    "investment": (
        "Investors & markets",
        "Shares, stock prices, pension funds, fund managers, investors' exposure, divestment, "
        "profits and earnings.",
    ),
    "lobbying": (
        "Lobbying & influence",
        "Lobbyists, PR firms, influence campaigns, hiring former officials.",
    ),
    "state-ties": (
        "Chinese state & military ties",
        "State ownership, Communist Party links, military connections, Chinese government "
        "control of or reliance on the company, state surveillance programmes built with it.",
    ),
    "ai-analytics": (
        "AI & facial recognition",
        "Facial recognition, ethnicity or minority analytics, emotion detection, AI training, "
        "racial-profiling technology.",
    ),
    "public-deployment": (
        "Cameras in public places",
        "The equipment is installed or used at specific institutions or places (government "
        "buildings, ministries, schools, hospitals, military bases, police, councils, streets, "
        "shops, stations).",
    ),
    "business": (
        "Business & supply chain",
        "Market position, sales channels, products, partners, suppliers, chips and components, "
        "manufacturing deals, demand (e.g. pandemic thermal cameras), corporate governance, "
        "investigations of executives.",
    ),
    "press-freedom": (
        "Media & censorship",
        "Censorship of, or pressure on, media covering the company.",
    ),
}

# (headline, topics, countries, language) as the labelling guide decides them.
HARD_CASES = [
    pytest.param(
        "China's Hikvision Has Probably Filmed You", "", "", "en", id="chinas-hikvision-not-cn"
    ),
    pytest.param(
        "US Considers Unprecedented Sanctions On China Tech Giant Hikvision",
        "sanctions",
        "US",
        "en",
        id="china-tech-giant-is-a-descriptor",
    ),
    pytest.param(
        "China's Hikvision Embroiled In New Row With Britain's CCTV Watchdog",
        "",
        "GB",
        "en",
        id="vague-row-no-topic",
    ),
    pytest.param(
        "‘Always on and watching’: A former Xinjiang prisoner describes life inside China’s "
        "detention camps",
        "human-rights",
        "CN",
        "en",
        id="xinjiang-is-cn",
    ),
    pytest.param(
        "Chinese-made cameras implicated in spying on the country's Uyghur community and banned "
        "by the US are still being used in Whitehall",
        "government-bans human-rights public-deployment",
        "CN GB US",
        "en",
        id="whitehall-is-gb-spying-on-uyghurs-is-not-espionage",
    ),
    pytest.param(
        "Hikvision Sanctions Signal Uncharted Waters From UK To Vietnam",
        "sanctions",
        "GB VN",
        "en",
        id="two-countries",
    ),
    pytest.param(
        "Come sono finite mille telecamere della cinese Hikvision nelle procure di tutta Italia",
        "public-deployment",
        "IT",
        "it",
        id="italian-cinese-is-a-descriptor",
    ),
    pytest.param(
        "Telecamere cinesi in Italia, la mappa di uffici e luoghi pubblici",
        "public-deployment",
        "IT",
        "it",
        id="italian-map-of-offices",
    ),
    pytest.param(
        "Vidéosurveillance: une société chinoise controversée bien présente au Québec",
        "business",
        "CA",
        "fr",
        id="french-quebec-is-ca",
    ),
    pytest.param(
        "Chinesische Überwachungskameras hängen in deutschen Bundesbehörden",
        "public-deployment",
        "DE",
        "de",
        id="german",
    ),
    pytest.param(
        "China-made cameras focus on HK protesters, Hikvision units featuring "
        "facial-recognition are also in use at ‘re-education’ camps for Uighurs in Xinjiang",
        "ai-analytics human-rights public-deployment",
        "CN HK",
        "en",
        id="hong-kong-is-hk",
    ),
    pytest.param(
        "Huawei and Hikvision are ‘backed by Chinese military’, Trump administration says",
        "state-ties",
        "CN US",
        "en",
        id="named-chinese-military-is-cn",
    ),
    pytest.param(
        'Hikvision Put on US DoD "Communist Chinese Military Companies" List, Faces Risk of '
        "Presidential Sanctions",
        "sanctions state-ties",
        "US",
        "en",
        id="list-name-is-not-cn",
    ),
    pytest.param(
        "Co-op supermarkets are using facial recognition cameras made by Chinese state-owned "
        "company 'to track its shoppers'",
        "ai-analytics public-deployment state-ties",
        "",
        "en",
        id="state-owned-is-state-ties-not-cn",
    ),
    pytest.param(
        "EU Parliament Removes Hikvision, Citing Human Rights Abuses",
        "government-bans human-rights public-deployment",
        "",
        "en",
        id="eu-is-no-country",
    ),
    pytest.param(
        "Scots Fear Chinese Surveillance Cameras", "cybersecurity", "GB", "en", id="scots-is-gb"
    ),
    pytest.param(
        "Stop Investing In China's Brutality",
        "human-rights investment",
        "CN",
        "en",
        id="chinas-brutality-is-cn",
    ),
    pytest.param(
        "Surveillance Cameras Made by China Are Hanging All Over the U.S.",
        "public-deployment",
        "US",
        "en",
        id="made-by-china-is-a-descriptor",
    ),
    pytest.param(
        "Hong Kong police expand use of mainland-made cameras across the city",
        "public-deployment",
        "HK",
        "en",
        id="mainland-made-is-a-descriptor",
    ),
    pytest.param(
        "What the Hikvision saga tells us about tech and geopolitics",
        "",
        "",
        "en",
        id="us-pronoun-is-no-country",
    ),
    pytest.param("The Hikvision Tipping Point?", "", "", "en", id="nothing-matches-no-default"),
    pytest.param(
        "Joe Biden extends investment ban on firms Washington says are linked to China’s military",
        "investment sanctions state-ties",
        "CN US",
        "en",
        id="washington-is-us",
    ),
    pytest.param(
        "Chinese Surveillance-Gear Maker Hikvision Has Ties to Country’s Military, Report Says",
        "state-ties",
        "CN",
        "en",
        id="country-s-military-is-cn",
        marks=pytest.mark.xfail(
            strict=True, reason="known weakness: 'Country's Military' is China only by context"
        ),
    ),
    # Round 3 (train-2026, labelled by the guide before the classifier ran on them; the
    # model has been trained on them since, so they guard the rules and terms chiefly).
    pytest.param(
        "Chinese state bank lends Hikvision billions for expansion",
        "business state-ties",
        "",
        "en",
        id="state-bank-is-a-descriptor-not-cn",
    ),
    pytest.param(
        "Cameras on New Jersey highways made by Hikvision",
        "public-deployment",
        "US",
        "en",
        id="new-jersey-is-us-not-jersey",
    ),
    pytest.param(
        "Church of England's investment arm sells Hikvision holding",
        "investment",
        "",
        "en",
        id="organisation-name-is-no-country",
    ),
    pytest.param(
        "Hikvision loses bid to be removed from Pentagon's Chinese military list",
        "sanctions state-ties",
        "US",
        "en",
        id="chinese-military-list-is-a-label-not-cn",
    ),
    pytest.param(
        "Swedish pension fund AP7 blacklists Chinese camera maker",
        "investment",
        "SE",
        "en",
        # An expected failure until round 9 dropped "blacklists" from the sanctions
        # words: the model reads "pension fund" and "blacklists" together.
        id="a-funds-blacklist-is-investment-not-sanctions",
    ),
    pytest.param(
        "Trump administration imposes trade restrictions on Chinese surveillance firms",
        "sanctions",
        "US",
        "en",
        id="trade-restrictions-are-sanctions",
    ),
    pytest.param(
        "Uiguren: Hikvision-Kameras überwachen Lager in Xinjiang",
        "human-rights public-deployment",
        "CN",
        "de",
        id="german-uyghurs-camps",
    ),
    pytest.param(
        "Hikvision cameras power China's 'social credit' enforcement",
        "state-ties",
        "CN",
        "en",
        id="social-credit-is-chinas-programme",
    ),
    pytest.param(
        "Your home camera may be spying on you for China",
        "cybersecurity",
        "CN",
        "en",
        id="spying-for-china-is-cn",
    ),
    pytest.param(
        "Ministry bans Chinese cameras in government offices",
        "government-bans",
        "",
        "en",
        # The guide (section 1, public-deployment, Exclude): a ban on the cameras at a
        # place is government-bans only. Until round 6 the model added public-deployment
        # on "Chinese" and "cameras" alone; round 8's model (θ 0.50, retrained with
        # batch7) adds it again on "cameras in" and "offices".
        id="a-ban-on-cameras-at-a-place-is-no-presence",
        marks=pytest.mark.xfail(
            strict=True, reason="known weakness: the model reads 'cameras in <place>' as presence"
        ),
    ),
    pytest.param(
        "Sen. Marco Rubio Presses Pentagon Over Chinese Camera Use",
        "public-deployment",
        "US",
        "en",
        # The rules miss it ("Camera Use" has no presence verb); the topic model finds it,
        # but this seed headline is in its training data, so that proves little.
        id="camera-use-at-pentagon",
    ),
]


# Round 4: the rule words that were too loose, each in a headline where it still tags its
# topic (by a rule, not the model) and in one where the guide says it must not. The
# headlines are new (in no label file); the topic is decided by docs/labelling-guide.md.
NARROWED = [
    pytest.param(
        "County sheriff buys 300 Hikvision cameras for jail",
        "government-bans",
        True,
        id="buy-a-public-body-buys",
    ),
    pytest.param(
        "Analyst upgrades Hikvision to buy after profit beat",
        "government-bans",
        False,
        id="buy-an-analyst-rating",
    ),
    pytest.param(
        "Hikvision to buy back 2% of its shares", "government-bans", False, id="buy-back-shares"
    ),
    pytest.param(
        "Police force signs contract for 500 Hikvision cameras",
        "government-bans",
        True,
        id="contract-of-a-public-body",
    ),
    pytest.param(
        "Hikvision signs contract with Washington PR firm",
        "government-bans",
        False,
        id="contract-with-a-pr-firm",
    ),
    pytest.param(
        "FCC blocks new Hikvision equipment from US networks",
        "government-bans",
        True,
        id="blocks-the-equipment",
    ),
    pytest.param(
        "Beijing blocks news site that reported on Hikvision",
        "government-bans",
        False,
        id="blocks-a-website",
    ),
    pytest.param(
        "Senators call for curbs on Chinese surveillance cameras",
        "government-bans",
        True,
        id="curbs-on-cameras",
    ),
    pytest.param(
        "Hikvision profit rises despite US curbs",
        "government-bans",
        False,
        id="curbs-on-the-company-are-export-controls",
    ),
    pytest.param(
        "Australia imposes restrictions on Hikvision purchases",
        "government-bans",
        True,
        id="restrictions-on-purchases",
    ),
    pytest.param(
        "US trade restrictions squeeze Hikvision's chip supply",
        "government-bans",
        False,
        id="trade-restrictions-not-a-ban",
    ),
    pytest.param(
        "US trade restrictions squeeze Hikvision's chip supply",
        "sanctions",
        True,
        id="trade-restrictions-are-sanctions",
    ),
    pytest.param(
        "Hikvision loses key suppliers after US blacklisting",
        "business",
        True,
        id="suppliers-of-the-company",
    ),
    pytest.param(
        "Council drops Chinese suppliers from CCTV framework",
        "business",
        False,
        id="suppliers-describing-the-company",
    ),
    pytest.param(
        "Hikvision chief executive questioned by anti-graft investigators",
        "business",
        True,
        id="executive-investigated",
    ),
    pytest.param(
        "Hikvision executives attend Communist Party congress",
        "business",
        False,
        id="executives-only-mentioned",
    ),
    pytest.param(
        "Chinese-made cameras still used in government offices despite ban",
        "public-deployment",
        True,
        id="cameras-used-in-offices",
    ),
    pytest.param(
        "Ministry bans Chinese cameras in government offices",
        "public-deployment",
        False,
        id="a-ban-on-cameras-in-offices-is-no-presence",
    ),
    # Round 11: words that, as a tag's only reason, were wrong more often than right.
    pytest.param(
        "Danish pension fund dumps Hikvision over human rights concerns",
        "government-bans",
        False,
        id="a-fund-that-dumps-shares-is-no-ban",
    ),
    pytest.param(
        "Hikvision profits from Uyghur oppression, campaigners say",
        "investment",
        False,
        id="profits-from-oppression-are-no-results",
    ),
    pytest.param(
        "Trump administration weighs broader FCC crackdown on Chinese cameras",
        "human-rights",
        False,
        id="an-fcc-crackdown-is-no-rights-story",
    ),
    pytest.param(
        "Hikvision quietly deletes ethnicity detection from product pages",
        "human-rights",
        False,
        id="ethnicity-detection-is-analytics",
    ),
    pytest.param(
        "Hikvision's UK arm recruits ex-Tory MP as adviser",
        "business",
        False,
        id="a-uk-arm-that-lobbies-is-no-business-story",
    ),
    pytest.param(
        "Tibet surveillance tender lists Hikvision as supplier",
        "business",
        False,
        id="supplier-to-a-tender",
    ),
    pytest.param(
        "FCC says Hikvision subsidiaries covered by equipment ban",
        "business",
        False,
        id="subsidiaries-named-in-a-ban",
    ),
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load(TOPICS, TERMS, WORDS)


@pytest.mark.parametrize(("headline", "topics", "countries", "language"), HARD_CASES)
def test_hard_cases(
    classifier: Classifier, headline: str, topics: str, countries: str, language: str
) -> None:
    result = classifier.classify(headline)
    assert [t.topic for t in result.topics] == topics.split()
    assert [c.code for c in result.countries] == countries.split()
    assert result.language == language


@pytest.mark.parametrize(("headline", "topic", "tagged"), NARROWED)
def test_narrowed_rule_words(
    classifier: Classifier, headline: str, topic: str, tagged: bool
) -> None:
    tags = {t.topic: t.evidence for t in classifier.classify(headline).topics}
    if tagged:
        # A rule finds it, not only the model.
        assert any("/model/" not in e.rule for e in tags.get(topic, ())), tags
    else:
        # The rules no longer tag it (the model may still err: see HARD_CASES).
        rules = {t.topic for t in classifier.without_model().classify(headline).topics}
        assert topic not in rules, rules


# Round 7 (country terms added after the misses of the spent batch6): (headline, the
# countries the guide's section 2 gives). Demonyms and names in other languages, a named
# national politician or institution, a place inside the country; and the same letters
# where they name no country ("nice", Spanish "como", Italian "usa", the English language).
COUNTRY_CASES = [
    ("Marles orders review of Chinese cameras at defence sites", "AU"),
    ("Chińskie kamery w polskich szkołach", "PL"),
    ("Svenska kommuner byter ut kinesiska kameror", "SE"),
    ("Kamery Hikvision v českých školách", "CZ"),
    ("Oljefondet selger seg ut av Hikvision", "NO"),
    ("Telecamere cinesi a Como, il Comune le sostituisce", "IT"),
    ("La mairie de Nice retire ses caméras chinoises", "FR"),
    ("English councils still buying Chinese cameras", "GB"),
    ("Hikvision, multa record per le sanzioni Usa", "US"),
    ("Hikvision, l'ombra di Pechino sul mercato", "CN"),
    ("A nice camera, but who made it?", ""),
    ("Como la policía usa cámaras chinas", ""),
    ("Il Comune usa telecamere Hikvision", ""),
    ("Hikvision launches English-language support site", ""),
    ("Hikvision adds English language menus", ""),
]


# Round 11: the country's own name, adjective, capital or institutions in its language
# (section 2 of the guide), where the spent batch8-10 missed them; and letters that only
# look like them.
OWN_LANGUAGE_CASES = [
    ("Dansk kommune udskifter kinesiske kameraer", "DK"),
    ("Försvarsmakten byter ut kameror från Hikvision", "SE"),
    ("Suomen poliisi luopuu kiinalaisista kameroista", "FI"),
    ("Magyarország kínai kamerákat vásárol a rendőrségnek", "HU"),
    ("Hikvision kamerák a budapesti metróban", "HU"),
    ("Poliția Română cumpără camere Hikvision", "RO"),
    ("Camere Hikvision în spitalele din București", "RO"),
    ("Κινεζικές κάμερες στα ελληνικά λιμάνια", "GR"),
    ("Κάμερες Hikvision στους δρόμους της Αθήνας", "GR"),
    ("Камеры Hikvision в московском метро", "RU"),
    ("СБУ перевіряє китайські камери", "UA"),
    ("ตำรวจไทยซื้อกล้องวงจรปิด Hikvision", "TH"),
    ("Berliner Schulen tauschen Hikvision-Kameras aus", "DE"),
    ("Hikvision wins a romantic comedy product placement", ""),
]


@pytest.mark.parametrize(("headline", "countries"), COUNTRY_CASES + OWN_LANGUAGE_CASES)
def test_country_terms_of_rounds_7_and_11(
    classifier: Classifier, headline: str, countries: str
) -> None:
    assert [c.code for c in classifier.classify(headline).countries] == countries.split()


# Round 8 (scripts without Latin letters): (headline, the topics the rules must give, the
# countries), decided by sections 1-2 of the guide. Chinese and Japanese terms match
# inside the unspaced text; a Korean term at a word's start, before its particle;
# Cyrillic and Arabic terms as whole words. 中国 describing the company or its products
# is no country (section 2, rule 1); the Chinese government is an actor (rule 2).
SCRIPT_CASES = [
    ("美国商务部将海康威视列入实体清单", "sanctions", "US"),
    ("英国政府部门禁用中国制造的摄像头", "government-bans", "GB"),
    ("中国海康威视摄像头存在漏洞", "cybersecurity", ""),
    ("中国政府为海康威视辩护", "", "CN"),
    ("中國政府力挺海康威視", "", "CN"),
    ("新疆再教育营使用海康威视摄像头", "human-rights", "CN"),
    ("海康威视2025年净利润同比下降", "investment", ""),
    ("防衛省、中国製カメラの調達を禁止", "government-bans", "JP"),
    ("ハイクビジョン、生成AI搭載の新製品を発売", "ai-analytics business", ""),
    ("미국은 하이크비전 제재를 검토", "sanctions", "US"),
    ("중국산 CCTV 취약점 발견", "cybersecurity", ""),
    ("하이크비전, 남미국가에 카메라 수출 확대", "", ""),
    ("США ввели санкции против Hikvision", "sanctions", "US"),
    ("Москва запретила китайские камеры в школах", "government-bans", "RU"),
    ("Вразливість у камерах Hikvision", "cybersecurity", ""),
    ("الولايات المتحدة تفرض عقوبات على هيكفيجن", "sanctions", "US"),
    ("الرياض تحظر كاميرات هيكفيجن", "government-bans", "SA"),
]


@pytest.mark.parametrize(("headline", "topics", "countries"), SCRIPT_CASES)
def test_terms_in_scripts_without_latin_letters(
    classifier: Classifier, headline: str, topics: str, countries: str
) -> None:
    rules = classifier.without_model().classify(headline)
    assert [t.topic for t in rules.topics] == topics.split()
    assert [c.code for c in classifier.classify(headline).countries] == countries.split()


def test_terms_in_unspaced_scripts_name_the_matched_text(classifier: Classifier) -> None:
    result = classifier.without_model().classify("美国FCC禁止海康威视新设备授权")
    evidence = {tag.code: {(e.rule, e.matched) for e in tag.evidence} for tag in result.countries}
    # The Latin FCC is a word of its own beside Chinese letters.
    assert evidence == {"US": {("US/name/美国", "美国"), ("US/metonym/fcc", "FCC")}}
    (ban,) = result.topics
    assert [(e.rule, e.matched) for e in ban.evidence] == [("government-bans/term/禁止", "禁止")]
    # A Korean term keeps its case-free match at a word's start, the particle left out.
    korea = classifier.classify("영국의 하이크비전 금지").countries
    assert [(e.rule, e.matched) for tag in korea for e in tag.evidence] == [
        ("GB/name/영국", "영국")
    ]


def test_evidence_names_the_rule_and_the_exact_words(classifier: Classifier) -> None:
    result = classifier.classify("Chinese cameras still used in Whitehall, says Washington")
    evidence = {tag.code: tag.evidence for tag in result.countries}
    assert [(e.rule, e.matched) for e in evidence["GB"]] == [("GB/metonym/whitehall", "Whitehall")]
    assert [(e.rule, e.matched) for e in evidence["US"]] == [
        ("US/metonym/washington", "Washington")
    ]
    (deployment,) = [t for t in result.topics if t.topic == "public-deployment"]
    assert {e.rule for e in deployment.evidence} >= {"public-deployment/rule/presence-at-place"}


def test_every_tag_has_sorted_evidence_from_the_headline(classifier: Classifier) -> None:
    rule_id = re.compile(r"^([a-z-]+/(term|rule|model)/\S+|[A-Z]{2}/[a-z]+/\S+)$")
    with SEED.open(encoding="utf-8") as handle:
        headlines = [row["headline"] for row in csv.DictReader(handle)]
    for headline in headlines:
        result = classifier.classify(headline)
        assert [t.topic for t in result.topics] == sorted(t.topic for t in result.topics)
        assert [c.code for c in result.countries] == sorted(c.code for c in result.countries)
        for tag in (*result.topics, *result.countries):
            assert tag.evidence, (headline, tag)
            assert list(tag.evidence) == sorted(tag.evidence)
            for item in tag.evidence:
                assert rule_id.match(item.rule), item.rule
                assert item.matched and item.matched in headline


def test_curly_quotes_and_hyphens_match_and_evidence_keeps_them(classifier: Classifier) -> None:
    result = classifier.classify("Denmark’s fund sells state‑owned camera maker’s shares")
    tags = {t.topic: t.evidence for t in result.topics}
    assert [e.matched for e in tags["state-ties"]] == ["state‑owned"]
    assert [c.code for c in result.countries] == ["DK"]


def test_decomposed_accents_are_normalised(classifier: Classifier) -> None:
    assert [c.code for c in classifier.classify("Caméras chinoises au Que\u0301bec").countries] == [
        "CA"
    ]


def test_classification_is_deterministic(classifier: Classifier) -> None:
    with SEED.open(encoding="utf-8") as handle:
        headlines = [row["headline"] for row in csv.DictReader(handle)]
    first = {h: classifier.classify(h) for h in headlines}
    shuffled = headlines[:]
    random.Random(7).shuffle(shuffled)
    again = Classifier.load(TOPICS, TERMS, WORDS)
    assert {h: again.classify(h) for h in shuffled} == first
    assert all(isinstance(c, Classification) for c in first.values())


def test_default_classifier_reads_the_shipped_rules(classifier: Classifier) -> None:
    headline = "Hikvision Shares Plunge After US Sanctions Threat"
    assert default_classifier().classify(headline) == classifier.classify(headline)
    assert default_classifier() is default_classifier()


def test_topic_scheme_has_the_eleven_concepts_of_design(classifier: Classifier) -> None:
    concepts = {c.id: (c.pref_label, c.definition) for c in topic_concepts(TOPICS)}
    assert concepts == DESIGN_TOPICS
    assert classifier.topic_ids() == tuple(sorted(DESIGN_TOPICS))
    skos = "http://www.w3.org/2004/02/skos/core#"
    scheme = pyoxigraph.NamedNode("https://w3id.org/hikgraph/ontology/topics")
    triples = {(t.subject, t.predicate, t.object) for t in pyoxigraph.parse(path=str(TOPICS))}
    for topic in DESIGN_TOPICS:
        concept = pyoxigraph.NamedNode(f"https://w3id.org/hikgraph/id/topic/{topic}")
        assert (concept, pyoxigraph.NamedNode(skos + "inScheme"), scheme) in triples
        assert (concept, pyoxigraph.NamedNode(skos + "topConceptOf"), scheme) in triples
        assert (scheme, pyoxigraph.NamedNode(skos + "hasTopConcept"), concept) in triples


def test_country_terms_use_registry_codes() -> None:
    with (ROOT / "data" / "countries.csv").open(encoding="utf-8") as handle:
        codes = {row["code"] for row in csv.DictReader(handle)}
    with TERMS.open(encoding="utf-8") as handle:
        used = {row["code"] for row in csv.DictReader(handle)}
    assert used <= codes


# --- malformed rule files ---------------------------------------------------------------


def _copy(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    paths = tuple(Path(shutil.copy(p, tmp_path / p.name)) for p in (TOPICS, TERMS, WORDS, MODEL))
    for suffix in (".json", ".npy"):  # the model's word vectors sit beside it
        shutil.copy((ROOT / "data" / "word-vectors").with_suffix(suffix), tmp_path)
    return paths[0], paths[1], paths[2], paths[3]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


_LOBBYING_DEFINITION = (
    'skos:definition "Lobbyists, PR firms, influence campaigns, hiring former officials."@en ;'
)
MALFORMED = [
    ("turtle", 0, "skos:inScheme <", "skos:inScheme <<", r"topics\.ttl:\d+: not valid Turtle"),
    (
        "missing-definition",
        0,
        _LOBBYING_DEFINITION,
        "",
        r"topics\.ttl:\d+: .*lobbying: needs exactly one English skos:definition",
    ),
    (
        "bad-pattern",
        0,
        'hik:matchPattern "CVE [0-9]{4} [0-9]{3,}"',
        'hik:matchPattern "CVE [0-9"',
        r"topics\.ttl:\d+: .*cybersecurity\.cve: pattern does not compile",
    ),
    ("unknown-fragment", 0, '~ {place}" .', '~ {nowhere}" .', r"unknown fragment \{nowhere\}"),
    ("bad-code", 1, "AD,name,Andorra", "Andorra,name,Andorra", r"terms\.csv:2: code 'Andorra'"),
    ("bad-kind", 1, "AD,name,Andorra", "AD,nickname,Andorra", r"terms\.csv:2: kind 'nickname'"),
    ("short-row", 1, "AD,name,Andorra,,", "AD,name,Andorra", r"terms\.csv:2: expected 5 columns"),
    ("header", 1, "code,kind,term", "code,type,term", r"terms\.csv:1: expected columns"),
    ("no-pattern", 1, "AD,name,Andorra,,", "AD,rule,x,,", r"terms\.csv:2: a rule needs a pattern"),
    (
        "bad-regex",
        1,
        "AD,name,Andorra,,",
        "AD,name,x,(,",
        r"terms\.csv:2: pattern does not compile",
    ),
    ("bad-language", 2, "de,aber", "deutsch,aber", r"words\.csv:\d+: needs a language"),
    (
        "model-format",
        3,
        '"format": "hikgraph-topic-model/3"',
        '"format": "nope"',
        r"topic-model\.json: format: expected",
    ),
]


@pytest.mark.parametrize(
    ("which", "old", "new", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in MALFORMED],
)
def test_malformed_rule_files_raise_value_error_naming_file_and_line(
    tmp_path: Path, which: int, old: str, new: str, message: str
) -> None:
    paths = _copy(tmp_path)
    _replace(paths[which], old, new)
    with pytest.raises(ValueError, match=message):
        Classifier.load(*paths)


# Languages the word lists do not know, and English headlines with next to no English
# function word: the statistical identifier decides the first, never the second. The
# language of each is decided by reading it (labelling guide, section 3).
@pytest.mark.parametrize(
    ("headline", "language"),
    [
        ("Polisen byter ut kinesiska kameror mot svenska", "sv"),
        ("Rząd wymieni chińskie kamery w urzędach", "pl"),
        ("Kommunen fjerner kinesiske overvågningskameraer", "da"),
        ("Чиновники отказываются от камер Hikvision", "ru"),
        ("Hikvision kameraları belediyelerden kaldırılıyor", "tr"),
        ("FCC Bans Hikvision", "en"),
        ("Hikvision Earnings Slump", "en"),
        ("Xinjiang Camps Surveillance Revealed", "en"),
        ("Hikvision Backdoor Confirmed", "en"),
    ],
)
def test_languages_beyond_the_word_lists(
    classifier: Classifier, headline: str, language: str
) -> None:
    assert classifier.classify(headline).language == language


def test_the_identifier_answers_only_listed_languages_and_english_when_unsure() -> None:
    from hikgraph.classify import IDENTIFIED_LANGUAGES, identify_language

    # Spanish, not Aragonese (which the identifier's full model would say).
    assert identify_language("Hikvision gana un contrato millonario con Interior") == "es"
    assert identify_language("Hikvision") in IDENTIFIED_LANGUAGES
    assert identify_language("12345 !!!") == "en"

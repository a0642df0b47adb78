"""`watcher.normalize`: canonical URLs, HTML to text, plausible dates, Google News entries, language guess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from watcher.normalize import canonical_url, guess_language, html_to_text, normalize, plausible_date
from watcher.parse.feed import RawEntry, parse_feed

COLLECTED_AT = datetime(2025, 2, 10, 19, 0, tzinfo=UTC)

# --------------------------------------------------------------------------- canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.francetvinfo.fr/sante/hopital/urgences-saturees_7012345.html#xtor=RSS-3-[lestitres]",
            "https://www.francetvinfo.fr/sante/hopital/urgences-saturees_7012345.html",
        ),
        (
            "https://www.francetvinfo.fr/sante/x.html?page=2#xtor=RSS-3-[general]",
            "https://www.francetvinfo.fr/sante/x.html?page=2",
        ),
        ("https://www.lemonde.fr/a.html?xtor=RSS-3208", "https://www.lemonde.fr/a.html"),
    ],
)
def test_franceinfo_xtor_suffix_is_removed(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_tracking_parameters_removed_others_kept_and_sorted() -> None:
    url = (
        "https://www.example.fr/article?z=9&utm_source=rss&id=42&utm_medium=feed&xtor=RSS-1"
        "&fbclid=IwAR0abc&gclid=EAIaIQ&a=1&UTM_CAMPAIGN=x"
    )
    assert canonical_url(url) == "https://www.example.fr/article?a=1&id=42&z=9"


def test_only_tracking_parameters_leave_no_question_mark() -> None:
    assert canonical_url("https://www.example.fr/a?utm_source=x&fbclid=y") == "https://www.example.fr/a"


def test_parameter_names_that_merely_contain_a_tracking_word_are_kept() -> None:
    assert (
        canonical_url("https://example.fr/a?page_utm=1&sextortion=2") == "https://example.fr/a?page_utm=1&sextortion=2"
    )


def test_scheme_and_host_lower_cased_path_kept() -> None:
    assert canonical_url("HTTPS://WWW.LeMonde.FR/Sante/Article.html") == "https://www.lemonde.fr/Sante/Article.html"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.fr:80/a", "http://example.fr/a"),
        ("https://example.fr:443/a", "https://example.fr/a"),
        ("http://example.fr:8080/a", "http://example.fr:8080/a"),
        ("https://example.fr:8443/a", "https://example.fr:8443/a"),
        ("https://example.fr:80/a", "https://example.fr:80/a"),  # 80 is not https's default
    ],
)
def test_default_port_dropped_other_ports_kept(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_empty_path_becomes_slash_and_fragment_dropped() -> None:
    assert canonical_url("  https://example.fr#top  ") == "https://example.fr/"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.francetvinfo.fr/sante/x.html#xtor=RSS-3-[lestitres]",
        "HTTPS://WWW.Example.COM:443/Path?z=1&utm_source=x&a=2",
        "https://example.fr/chemin/é?q=é&r=a%20b",
        "http://example.fr:8080/a?b",
    ],
)
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


def test_ipv6_host_keeps_its_brackets() -> None:
    assert canonical_url("http://[2001:db8::1]:8080/flux.xml") == "http://[2001:db8::1]:8080/flux.xml"


# --------------------------------------------------------------------------- html_to_text


def test_tags_removed_text_kept() -> None:
    assert html_to_text('<div class="x"><a href="/a">Le <b>gras</b></a> et <i>l\'italique</i></div>') == (
        "Le gras et l'italique"
    )


def test_script_and_style_content_removed() -> None:
    text = html_to_text('<p>Avant</p><script>alert("piège")</script><style>p { color: red }</style><p>Après</p>')
    assert text == "Avant Après"


def test_entities_decoded() -> None:
    assert html_to_text("Sant&eacute; &amp; h&#xF4;pital &#233;t&#xE9; &lt;urgences&gt;") == (
        "Santé & hôpital été <urgences>"
    )


def test_escaped_entity_is_decoded_only_once() -> None:
    assert html_to_text("a &amp;lt; b") == "a &lt; b"


def test_non_breaking_spaces_and_whitespace_collapse() -> None:
    assert html_to_text("  Santé&nbsp;publique\n\n\t: « grève »  ") == "Santé publique : « grève »"
    assert html_to_text("  Santé\u00a0publique\n\n\t: « grève\u202f»\u2009 ") == "Santé publique : « grève »"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<p>Premier.</p><p>Second.</p>", "Premier. Second."),
        ("Ligne un<br>ligne deux<br/>ligne trois", "Ligne un ligne deux ligne trois"),
        ("<ul><li>un</li><li>deux</li></ul>", "un deux"),
        ("<h2>Titre</h2>Texte", "Titre Texte"),
        ("<div>a</div><div>b</div>", "a b"),
    ],
)
def test_blocks_are_separated_by_a_space(fragment: str, expected: str) -> None:
    assert html_to_text(fragment) == expected


def test_unclosed_paragraphs_are_separated() -> None:
    assert html_to_text("<p>Premier paragraphe.<p>Second paragraphe.") == "Premier paragraphe. Second paragraphe."


def test_empty_fragment() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<p> </p><!-- rien -->") == ""


# --------------------------------------------------------------------------- plausible_date


@pytest.mark.parametrize(
    "published",
    [
        None,
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1994, 12, 31, 23, 59, tzinfo=UTC),
        COLLECTED_AT + timedelta(days=1),
        COLLECTED_AT + timedelta(hours=2, minutes=1),
        datetime(2035, 1, 1, tzinfo=UTC),
    ],
)
def test_absent_absurd_or_future_dates_fall_back_to_collected_at(published: datetime | None) -> None:
    assert plausible_date(published, COLLECTED_AT) == (COLLECTED_AT, True)


@pytest.mark.parametrize(
    "published",
    [
        datetime(2025, 2, 10, 11, 40, 4, tzinfo=UTC),
        datetime(2019, 5, 7, 11, 59, 43, tzinfo=UTC),
        datetime(1995, 1, 1, tzinfo=UTC),
        COLLECTED_AT + timedelta(hours=1),  # clocks a little ahead are tolerated
        datetime(2025, 2, 10, 20, 30, tzinfo=timezone(timedelta(hours=1))),  # 19:30 UTC
    ],
)
def test_normal_dates_are_kept(published: datetime) -> None:
    assert plausible_date(published, COLLECTED_AT) == (published, False)


# --------------------------------------------------------------------------- normalize()

GOOGLE_NEWS_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Google Actualit\xc3\xa9s</title><language>fr</language>
<item>
  <title>H\xc3\xb4pital : les urgences satur\xc3\xa9es \xc3\xa0 Lyon - Le Monde</title>
  <link>https://news.google.com/rss/articles/CBMiWmh0dHBzOi8vd3d3LmxlbW9uZGUuZnIv?oc=5</link>
  <guid isPermaLink="false">CBMiWmh0dHBzOi8vd3d3LmxlbW9uZGUuZnIv</guid>
  <pubDate>Mon, 10 Feb 2025 08:00:00 GMT</pubDate>
  <description>&lt;ol&gt;&lt;li&gt;&lt;a href="https://news.google.com/rss/articles/x"&gt;Autre article&lt;/a&gt;
  &lt;font color="#6f6f6f"&gt;Lib\xc3\xa9ration&lt;/font&gt;&lt;/li&gt;&lt;/ol&gt;</description>
  <source url="https://www.lemonde.fr">Le Monde</source>
</item>
</channel></rss>"""


def test_google_news_entry_keeps_publisher_and_strips_the_suffix() -> None:
    feed = parse_feed(GOOGLE_NEWS_RSS, "https://news.google.com/rss/search?q=hopital&hl=fr", "application/rss+xml")
    [entry] = feed.entries
    assert entry.publisher == "Le Monde"
    item = normalize(entry, "google-news", COLLECTED_AT)
    assert item is not None
    assert item.publisher == "Le Monde"
    assert item.outlet == "Le Monde"
    assert item.source == "google-news"
    assert item.title == "Hôpital : les urgences saturées à Lyon"
    assert item.summary == ""  # the related-articles cluster is not a summary
    assert item.url == "https://news.google.com/rss/articles/CBMiWmh0dHBzOi8vd3d3LmxlbW9uZGUuZnIv?oc=5"
    assert item.published == datetime(2025, 2, 10, 8, 0, tzinfo=UTC)
    assert not item.published_estimated
    assert item.language == "fr"


def test_publisher_suffix_kept_outside_google_news() -> None:
    entry = RawEntry(
        guid=None, link="https://www.example.fr/a", title="Débat - Le Monde", publisher="Le Monde", summary_html="x"
    )
    item = normalize(entry, "src", COLLECTED_AT)
    assert item is not None
    assert item.title == "Débat - Le Monde"
    assert item.publisher is None
    assert item.outlet == "src"


@pytest.mark.parametrize(
    "entry",
    [
        RawEntry(guid=None, link=None, title=""),
        RawEntry(guid="urn:uuid:1234", link="", title="   "),
        RawEntry(guid="tag:example.fr,2025:1", link="mailto:redaction@example.fr", title="<b></b>"),
    ],
)
def test_entry_without_link_nor_title_is_dropped(entry: RawEntry) -> None:
    assert normalize(entry, "src", COLLECTED_AT) is None


def test_guid_url_stands_in_for_a_missing_link() -> None:
    entry = RawEntry(
        guid="https://www.francetvinfo.fr/sante/x.html#xtor=RSS-3-[lestitres]",
        link=None,
        title="<b>Hôpital</b> &amp; urgences",
    )
    item = normalize(entry, "franceinfo", COLLECTED_AT)
    assert item is not None
    assert item.url == item.guid == "https://www.francetvinfo.fr/sante/x.html"
    assert item.title == "Hôpital & urgences"
    assert item.published == COLLECTED_AT and item.published_estimated


def test_normalize_cleans_summary_and_falls_back_to_content() -> None:
    entry = RawEntry(
        guid="42",
        link="https://www.example.fr/a?utm_source=rss",
        title="Titre",
        content_html="<p>Le <b>contenu</b></p><script>track()</script><p>complet</p>",
        author="<span>Jeanne Dupont</span>",
        published=datetime(2025, 2, 10, 8, 0, tzinfo=UTC),
    )
    item = normalize(entry, "src", COLLECTED_AT)
    assert item is not None
    assert item.url == "https://www.example.fr/a"
    assert item.guid == "42"
    assert item.summary == item.content == "Le contenu complet"
    assert item.author == "Jeanne Dupont"


def test_long_summary_is_shortened_on_a_word() -> None:
    entry = RawEntry(guid=None, link="https://x.fr/a", title="T", summary_html="<p>" + "hôpital " * 400 + "</p>")
    item = normalize(entry, "src", COLLECTED_AT)
    assert item is not None
    assert len(item.summary) <= 1201
    assert item.summary.endswith("hôpital…")


# --------------------------------------------------------------------------- guess_language


def test_guess_language_french() -> None:
    text = "Les urgences de l'hôpital sont saturées pour la deuxième semaine et rien ne change"
    assert guess_language(text, None) == "fr"


def test_guess_language_english() -> None:
    assert guess_language("The hospital is closed for the weekend and the staff are on strike", None) == "en"


def test_guess_language_declared_wins_and_is_shortened() -> None:
    assert guess_language("The hospital is closed for the weekend", "fr-FR") == "fr"
    assert guess_language("Les urgences de l'hôpital", "en_US") == "en"


def test_guess_language_unknown() -> None:
    assert guess_language("COVID-19 2025 ARS", None) is None


def test_untitled_post_takes_its_first_words_as_title() -> None:
    post = RawEntry(
        guid="1",
        link="https://masto.test/@a/1",
        title="",
        summary_html="<p>Les urgences de Laval " + "ferment la nuit. " * 20 + "</p>",
    )
    item = normalize(post, "Mastodon", COLLECTED_AT)
    assert item is not None and item.title.startswith("Les urgences de Laval ferment") and item.title.endswith("…")
    assert len(item.title) <= 121
    assert normalize(RawEntry(guid="2", link="https://masto.test/@a/2", title=""), "Mastodon", COLLECTED_AT) is None


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("Urgences  de\\nLaval", "Urgences de Laval"),  # plain text: only the spaces change
        ("a > b", "a > b"),
        ("Grève\x00 des internes", "Grève des internes"),  # a NUL would be refused by PostgreSQL
        ("\ufeffTitre", "Titre"),
        ("R&amp;D <b>santé</b>", "R&D santé"),
    ],
)
def test_plain_text_takes_the_short_way_with_the_sanitiser_s_result(fragment: str, text: str) -> None:
    assert html_to_text(fragment.replace("\\n", "\n")) == text

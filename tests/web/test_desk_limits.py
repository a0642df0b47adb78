"""The desk's lists stay short whatever the archive holds: the oldest entries to validate, the latest closed
tribunes, each with the full count."""

from __future__ import annotations

from datetime import date, timedelta

from store.db import session_scope
from store.models import Item, PressMention, Source, Tribune
from tests.web import deskdata
from tests.web.conftest import Served
from tests.web.test_security import signed_in
from watcher.web.pages.register import PENDING_SHOWN
from watcher.web.pages.tribunes import SHOWN_PER_STATUS


def test_the_entries_to_validate_come_fifty_at_a_time_oldest_first(desk: Served) -> None:
    with session_scope(desk.engine) as session:
        for n in range(PENDING_SHOWN + 5):
            session.add(
                PressMention(
                    day=date(2026, 1, 1) + timedelta(days=n),
                    outlet="Le Progrès",
                    title=f"Parution {n:03d}",
                    created_at=deskdata.NOW,
                )
            )
    client, token = signed_in(desk, "coordination")
    page = client.get("/on-parle-de-nous").text
    pending = page.split('id="a-valider"', 1)[1].split("</section>", 1)[0]
    total = PENDING_SHOWN + 5 + 1  # and the mention the collector detected
    assert f'À valider <span class="count">({total})</span>' in pending
    assert pending.count('class="mention"') == PENDING_SHOWN
    assert "Parution 000" in pending and f"Parution {PENDING_SHOWN - 1:03d}" in pending
    assert f"Parution {PENDING_SHOWN:03d}" not in pending
    assert "les suivantes viennent à mesure qu'elles sont validées ou rejetées" in pending
    first = page.split('id="mention-', 1)[1].split('"', 1)[0]
    client.post(f"/on-parle-de-nous/{first}/rejeter", data={"csrf": token})
    assert f"Parution {PENDING_SHOWN:03d}" in client.get("/on-parle-de-nous").text


def test_the_closed_tribunes_show_the_latest_and_the_next_ones_a_page_at_a_time(desk: Served) -> None:
    with session_scope(desk.engine) as session:
        source = session.get(Source, 1)
        assert source is not None
        for n in range(SHOWN_PER_STATUS + 3):
            item = Item(
                source_id=source.id or 0,
                guid=f"ancienne-{n}",
                url=f"https://presse-bureau.test/ancienne-{n}",
                title=f"Ancienne tribune {n:03d}",
                published_at=deskdata.NOW - timedelta(days=400 - n),
                collected_at=deskdata.NOW - timedelta(days=400 - n),
                title_date_key=f"ancienne-{n}",
                content_hash=f"ancienne-{n}",
            )
            session.add(item)
            session.flush()
            flagged = deskdata.NOW - timedelta(days=400 - n)
            session.add(Tribune(item_id=item.id or 0, status="publiee", flagged_by="magali", flagged_at=flagged))
    client, _ = signed_in(desk, "lecture")
    page = client.get("/tribunes").text
    published = page.split('id="statut-publiee"', 1)[1].split("</section>", 1)[0]
    assert f'<span class="count">({SHOWN_PER_STATUS + 3})</span>' in published
    assert published.count('class="tribune"') == SHOWN_PER_STATUS
    assert f"Ancienne tribune {SHOWN_PER_STATUS + 2:03d}" in published and "Ancienne tribune 002" not in published
    assert "toutes avec « watcher tribunes --status 'publiée' »" in published
    assert f'Tribunes <span class="count">({SHOWN_PER_STATUS + 3})</span>' in page
    # « les suivantes » shows that status alone, the next ones, down to the oldest.
    assert 'href="/tribunes?statut=publiee&amp;page=2" rel="next"' in published
    second = client.get("/tribunes", params={"statut": "publiee", "page": "2"}).text
    assert second.count('class="tribune"') == 3 and 'id="statut-a_etudier"' not in second
    assert "Ancienne tribune 002" in second and "Ancienne tribune 000" in second and 'rel="next"' not in second
    assert 'href="/tribunes?statut=publiee&amp;page=1" rel="prev"' in second
    for query, message in (
        ({"statut": "publiee", "page": "0"}, "Page invalide « 0 »"),
        ({"statut": "oubliee"}, "Statut inconnu « oubliee »"),
        ({"page": "2"}, "se demande pour un statut"),
    ):
        answer = client.get("/tribunes", params=query)
        assert answer.status_code == 400 and message in answer.text, query


def test_the_year_shows_one_month_and_the_count_of_each(desk: Served) -> None:
    with session_scope(desk.engine) as session:
        for month, count in ((2, 3), (5, 2), (9, 4)):
            for n in range(count):
                session.add(
                    PressMention(
                        day=date(2025, month, 1 + n),
                        outlet="Le Progrès",
                        title=f"Parution {month:02d}-{n}",
                        status="validee",
                        created_at=deskdata.NOW,
                    )
                )
        session.add(
            PressMention(day=date(2025, 9, 20), outlet="Le Progrès", title="À valider", created_at=deskdata.NOW)
        )
    client, _ = signed_in(desk, "lecture")
    year = client.get("/on-parle-de-nous", params={"annee": "2025"}).text.split('id="annee"', 1)[1]
    assert '2025 mois par mois <span class="count">(9)</span>' in year
    assert '<strong aria-current="page">Septembre (4)</strong>' in year  # the latest month with entries
    assert year.count("Parution 09-") == 4 and "Parution 02-" not in year and "À valider" not in year
    assert 'href="/on-parle-de-nous?annee=2025&amp;mois=2#annee">Février (3)</a>' in year
    february = client.get("/on-parle-de-nous", params={"annee": "2025", "mois": "2"}).text
    assert february.count("Parution 02-") == 3 and "Parution 09-" not in february
    empty = client.get("/on-parle-de-nous", params={"annee": "2025", "mois": "3"}).text
    assert "Aucune parution validée ou rejetée ce mois-ci." in empty
    wrong = client.get("/on-parle-de-nous", params={"annee": "2025", "mois": "13"})
    assert wrong.status_code == 400 and "Mois invalide « 13 » (de 1 à 12)." in wrong.text

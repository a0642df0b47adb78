"""« Règles » over HTTP: the rules measured over a recent period, chosen on the page."""

from __future__ import annotations

from datetime import timedelta

from tests.web.conftest import Served
from tests.web.test_security import signed_in


def test_the_rules_page_measures_a_chosen_recent_period(desk: Served) -> None:
    client, _ = signed_in(desk, "lecture")
    page = client.get("/regles").text
    assert '<strong aria-current="page">30 jours</strong>' in page and 'href="/regles?jours=365"' in page
    assert "6 articles notés" in page and "« urgences »" in page  # the desk's items were collected two hours ago
    # A volunteer reads the theme's name, not its key in sources.yaml.
    assert "<tr><td>Hôpital et accès aux soins</td>" in page and "<tr><td>hopital</td>" not in page
    for days in ("7", "90", "365"):
        assert client.get(f"/regles?jours={days}").status_code == 200
    for bad in ("0", "12", "tout", "-7"):
        answer = client.get(f"/regles?jours={bad}")
        assert answer.status_code == 400 and f"Période inconnue « {bad} » (en jours : 7, 30, 90, 365)" in answer.text
    desk.clock.now += timedelta(days=31)
    later = client.get("/regles").text
    assert "0 article noté" in later and "Aucune règle déclenchée sur la période." in later

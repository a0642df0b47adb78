"""« Article »: score and why, themes, mentions, the story, parliamentary fields, and the desk's actions.

The actions call the functions the Slack buttons and the CLI call: a verdict is `record_verdict`, a tribune
`watcher.desk.flag`, « On parle de nous » `store.desk.mentions_us`, « Pas le même sujet » `watcher.desk.split_story`,
« publier dans la revue » `watcher.revue.picks` (as `watcher revue add|remove`); the observatoire's place and kinds
of loss and their correction come from watcher/web/pages/observatory.py.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts.interactions import NO_TOPIC, state_lines
from alerts.parlement import CHAMBER_LABELS, KIND_LABELS
from store import browse
from store import desk as store_desk
from store import revue as store_revue
from store.db import session_scope
from store.verdicts import record_verdict
from watcher import desk
from watcher.revue import picks
from watcher.score import DECISION_LABELS
from watcher.web import security
from watcher.web.page import Desk, back, render
from watcher.web.pages import observatory

VERDICT_LABELS = {"pertinent": "Pertinent", "hors_sujet": "Hors sujet"}


def _missing(item_id: int) -> HTTPException:
    return HTTPException(404, f"Article n° {item_id} introuvable : il a peut-être été supprimé, ou le lien est faux.")


def article(request: Request) -> Response:
    security.require(request)
    desk_: Desk = request.app.state.desk
    item_id = request.path_params["item_id"]
    with session_scope(desk_.engine) as session:
        view = store_desk.item_view(session, item_id)
        if view is None:
            raise _missing(item_id)
        story = browse.story_items(session, view.item.story_id) if view.item.story_id else []
        fields = browse.parliament_fields(session, item_id)
        verdicts = store_desk.verdicts_of(session, item_id)
        tribune = store_desk.tribune_for(session, item_id)
        mention = store_desk.mention_for_item(session, item_id)
        state = state_lines(session, item_id, desk_.zone)
        in_revue = store_revue.is_picked(session, item_id)
        observed = observatory.article_context(session, item_id, desk_)
    topics = desk_.config.topics
    item_topics = (view.score.topics if view.score else None) or [NO_TOPIC]
    return render(
        request,
        "article.html",
        view=view,
        story=story,
        fields=fields,
        verdicts=verdicts,
        tribune=tribune,
        mention=mention,
        in_revue=in_revue,
        state=state,
        item_topics=[(key, topics[key].label if key in topics else key) for key in item_topics],
        topic_labels={key: topic.label for key, topic in topics.items()},
        verdict_labels=VERDICT_LABELS,
        decision_labels=DECISION_LABELS,
        tribune_labels=desk.TRIBUNE_LABELS,
        mention_labels=desk.MENTION_LABELS,
        kind_labels=KIND_LABELS,
        chamber_labels=CHAMBER_LABELS,
        **observed,
    )


async def _act(request: Request) -> tuple[Desk, int, str, dict[str, str]]:
    """The checks of every action: signed in, a genuine form, the coordination role."""
    user, form = await security.acting_form(request)
    return request.app.state.desk, request.path_params["item_id"], user.name, security.text_fields(form)


async def verdict(request: Request) -> Response:
    desk_, item_id, who, form = await _act(request)
    topic, value = form.get("theme", ""), form.get("avis", "")
    if value not in VERDICT_LABELS:
        raise HTTPException(400, f"Avis inconnu « {value} » : « pertinent » ou « hors sujet » attendu.")

    def work() -> bool:
        with session_scope(desk_.engine) as session:
            view = store_desk.item_view(session, item_id)
            if view is None:
                raise _missing(item_id)
            allowed = (view.score.topics if view.score else None) or [NO_TOPIC]
            if topic not in allowed:
                raise HTTPException(400, f"Thème « {topic} » absent de cet article (thèmes : {', '.join(allowed)}).")
            return record_verdict(session, item_id=item_id, topic=topic, verdict=value, who=who, now=desk_.now())

    changed = await run_in_threadpool(work)
    label = VERDICT_LABELS[value].lower()
    security.flash(
        request, f"Avis enregistré : {label} ({topic})." if changed else f"Avis inchangé : {label} ({topic})."
    )
    return back(f"/article/{item_id}")


async def tribune(request: Request) -> Response:
    desk_, item_id, who, form = await _act(request)
    note = form.get("note", "").strip() or None

    def work() -> bool:
        with session_scope(desk_.engine) as session:
            try:
                return desk.flag(session, item_id, note=note, who=who, now=desk_.now())[1]
            except desk.DeskError:
                raise _missing(item_id) from None

    created = await run_in_threadpool(work)
    security.flash(request, "Article ajouté aux tribunes (à étudier)." if created else "Déjà dans les tribunes.")
    return back(f"/article/{item_id}")


async def mentions_us(request: Request) -> Response:
    desk_, item_id, who, _ = await _act(request)

    def work() -> bool:
        with session_scope(desk_.engine) as session:
            view = store_desk.item_view(session, item_id)
            if view is None:
                raise _missing(item_id)
            return store_desk.mentions_us(session, view, who, desk_.zone, now=desk_.now())

    changed = await run_in_threadpool(work)
    security.flash(
        request, "Inscrit au registre « On parle de nous », validé." if changed else "Déjà validé au registre."
    )
    return back(f"/article/{item_id}")


async def split(request: Request) -> Response:
    """« Pas le même sujet »: the item leaves its story (`watcher.desk.split_story`, as in Slack and the CLI)."""
    desk_, item_id, who, _ = await _act(request)

    def work() -> tuple[str, str]:
        with session_scope(desk_.engine) as session:
            if store_desk.item_view(session, item_id) is None:
                raise _missing(item_id)
            try:
                done = desk.split_story(session, item_id, who=who, now=desk_.now())
            except desk.DeskError as refused:
                return "erreur", str(refused)[0].upper() + str(refused)[1:] + "."
        return "ok", (
            f"Article séparé du sujet n° {done.former_story_id} : il forme désormais un sujet à lui seul "
            f"(n° {done.new_story_id}) et n'y sera plus rattaché."
        )

    kind, message = await run_in_threadpool(work)
    security.flash(request, message, kind)
    return back(f"/article/{item_id}")


async def revue(request: Request) -> Response:
    """« Publier dans la revue » (publier=oui) or take the item out of it (publier=non)."""
    desk_, item_id, who, form = await _act(request)
    wanted = form.get("publier", "")
    if wanted not in ("oui", "non"):
        raise HTTPException(400, f"Choix inconnu « {wanted} » : « oui » ou « non » attendu.")

    def work() -> bool:
        with session_scope(desk_.engine) as session:
            try:
                if wanted == "oui":
                    return picks.publish(session, item_id, who=who, now=desk_.now())
                return picks.withdraw(session, item_id)
            except picks.RevueError:
                raise _missing(item_id) from None

    changed = await run_in_threadpool(work)
    if wanted == "oui":
        said = "Article ajouté à la revue de presse." if changed else "Déjà dans la revue de presse."
    else:
        said = "Article retiré de la revue de presse." if changed else "L'article n'était pas dans la revue de presse."
    security.flash(request, said)
    return back(f"/article/{item_id}")


routes = [
    Route("/article/{item_id:int}", article, methods=["GET"]),
    Route("/article/{item_id:int}/avis", verdict, methods=["POST"]),
    Route("/article/{item_id:int}/tribune", tribune, methods=["POST"]),
    Route("/article/{item_id:int}/on-parle-de-nous", mentions_us, methods=["POST"]),
    Route("/article/{item_id:int}/pas-le-meme-sujet", split, methods=["POST"]),
    Route("/article/{item_id:int}/revue", revue, methods=["POST"]),
]

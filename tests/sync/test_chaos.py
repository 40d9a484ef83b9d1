"""Three field laptops, their bundles imported in many orders, some twice: one outcome.

In the spirit of Kolibri's multi-device sync tests. Each laptop has its own database and keys,
enrols over HTTP, pulls its officers' scheduled events, and records events through the real
services with random villagers and answers:

- laptop 1 holds scheduled events T and S and a new event E1, exported twice (mid-event and
  after closing: the later bundle replaces the earlier, whichever arrives first);
- laptop 2 holds S as well (S then differs between two laptops: a conflict) and a new event
  E2 where a villager of E1 shows her card, and one has the same name as a villager of E1;
- laptop 3 holds U, which the office edited after the laptop pulled it (a conflict), and a new
  event E3 where the same card is shown again.

Every order must leave the office with the same records, versions, conflicts, aliases and review
queue; every answer given on any laptop present exactly once.
"""

import random

from sqlalchemy import func, select

from learning.accounts.models import Role, User
from learning.events.models import DuplicateCandidate, Event, Participation
from learning.extensions import db
from learning.sync import conflicts, imports, records
from learning.sync.models import SyncConflict, SyncVersion, VillagerAlias
from learning.villages.models import EventSummary
from learning.villages.services import ensure_fresh
from quizzes.models import QuizAnswer
from tests.sync.conftest import PEMBENGIS, SENGETI, card_of, hold_event, schedule

ORDERS = 10


def office_state() -> dict:
    """The office's synced data, without what only says when or in which order it arrived."""
    ids = {
        "event": db.session.scalars(select(Event.id)).all(),
        "villager": db.session.scalars(select(User.id).where(User.role == Role.VILLAGER)).all(),
    }
    for kind in ("participation", "consent", "attempt", "answer"):
        ids[kind] = db.session.scalars(select(records.SIMPLE[kind].model.id)).all()
    state = {
        kind: sorted(
            (str(i), records.content_hash(content))
            for i, (content, _local) in records.read(kind, ids[kind]).items()
        )
        for kind in records.KINDS
    }
    state["holds"] = sorted(
        [("event", str(i)) for i in db.session.scalars(select(Event.id).where(Event.sync_hold))]
        + [
            ("participation", str(i))
            for i in db.session.scalars(select(Participation.id).where(Participation.sync_hold))
        ]
    )
    state["versions"] = sorted(
        (v.kind, str(v.record_id), v.device_key, v.sequence, v.content_hash, tuple(v.parents))
        for v in db.session.scalars(select(SyncVersion))
    )
    state["conflicts"] = sorted(
        (c.kind, str(c.record_id), tuple(c.hashes), c.resolved_at is None)
        for c in db.session.scalars(select(SyncConflict))
    )
    state["aliases"] = sorted(
        (str(a.user_id), str(a.same_as_id)) for a in db.session.scalars(select(VillagerAlias))
    )
    state["review"] = sorted(
        (str(d.participation_id), str(d.existing_user_id), d.status)
        for d in db.session.scalars(select(DuplicateCandidate))
    )
    return state


def import_all(bundles: list[bytes]) -> None:
    for data in bundles:
        with db.session.begin_nested():  # each import is its own transaction in production
            imports.import_bundle(data, via="command", actor_name="uji")


def test_bundles_from_three_laptops_merge_the_same_in_any_order(
    content, admin, officers, make_laptop, enrol
):
    one, two, three = officers
    event_s = schedule([one, two], admin, title="Sosialisasi S (dua petugas)")
    event_t = schedule([one], admin, title="Sosialisasi T")
    event_u = schedule([three], admin, village=SENGETI, title="Sosialisasi U")
    laptops = [make_laptop(f"laptop-{n}") for n in (1, 2, 3)]
    for laptop, officer in zip(laptops, officers, strict=True):
        enrol(laptop, [officer])
    # The office changes U's place after laptop 3 pulled it: both versions are kept.
    db.session.get(Event, event_u.id).place = "Aula Kecamatan"
    db.session.commit()

    rng = random.Random(20261128)
    l1, l2, l3 = laptops
    bundles = []
    t = hold_event(l1, rng, event_id=event_t.id, villagers=rng.randint(5, 9))
    s1 = hold_event(l1, rng, event_id=event_s.id, villagers=rng.randint(4, 7))
    e1 = hold_event(l1, rng, villagers=5, names=["Siti Aminah"], close=False)
    bundles += [l1.export(t), l1.export(s1), l1.export(e1)]
    hold_event(l1, rng, event_id=e1, villagers=3)  # more villagers, then closed
    bundles.append(l1.export(e1))
    card = card_of(l1, e1, index=1)
    s2 = hold_event(l2, rng, event_id=event_s.id, villagers=rng.randint(4, 7))
    e2 = hold_event(l2, rng, village=PEMBENGIS, villagers=5, names=["Siti Aminah"], cards=[card])
    u = hold_event(l3, rng, event_id=event_u.id, village=SENGETI, villagers=4)
    e3 = hold_event(l3, rng, village=SENGETI, villagers=6, cards=[card])
    bundles += [l2.export(s2), l2.export(e2), l3.export(u), l3.export(e3)]
    assert s1 == s2 == event_s.id
    given = l1.answers | l2.answers | l3.answers

    orders = [list(bundles), list(reversed(bundles))]
    while len(orders) < ORDERS:
        order = rng.sample(bundles, len(bundles))
        for again in rng.sample(bundles, 2):  # some arrive twice
            order.insert(rng.randrange(len(order) + 1), again)
        orders.append(order)
    db.session.commit()
    outcomes = []
    for order in orders:
        import_all(order)
        outcomes.append(office_state())
        answers = db.session.scalars(select(QuizAnswer.client_answer_id)).all()
        assert len(answers) == len(given) and set(answers) == given
        db.session.rollback()  # back to the office before any import
    first = outcomes[0]
    for outcome in outcomes[1:]:
        assert outcome == first

    # Two conflicts, and only those: S held on two laptops, U edited on both sides.
    assert [(kind, record_id) for kind, record_id, _h, is_open in first["conflicts"]] == sorted(
        [("event", str(event_s.id)), ("event", str(event_u.id))]
    )
    assert all(is_open for *_rest, is_open in first["conflicts"])
    # The card shown on laptops 2 and 3 is the villager laptop 1 registered.
    assert len(first["aliases"]) == 2 and len({same for _u, same in first["aliases"]}) == 1
    # The same name in the same village goes to the officer's review queue.
    assert len(first["review"]) == 1

    # Imported for real (committed), progress counts what is not in conflict.
    import_all(orders[-1])
    db.session.commit()
    ensure_fresh()
    summaries = {s.event_id: s for s in db.session.scalars(select(EventSummary))}
    assert summaries[e1].participants == 8 and summaries[e1].is_held
    assert summaries[t].is_held
    assert not summaries[event_s.id].is_held and not summaries[event_u.id].is_held
    assert db.session.scalar(select(func.count()).select_from(SyncConflict)) == 2

    # An admin keeps laptop 2's S; the event counts again.
    conflict = db.session.scalar(select(SyncConflict).where(SyncConflict.record_id == event_s.id))
    variants = conflicts.variants(conflict)
    chosen = next(v for v in variants if v.device == "laptop-2")
    conflicts.resolve_conflict(conflict, chosen.content_hash, admin)
    db.session.commit()
    ensure_fresh()
    summary = db.session.get(EventSummary, event_s.id, populate_existing=True)
    assert summary.is_held
    # Importing every bundle again changes nothing and reopens nothing.
    before = office_state()
    import_all(bundles)
    db.session.commit()
    assert office_state() == before

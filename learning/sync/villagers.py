"""Villagers in bundles: one person whatever laptop registered them.

A participant who showed a card a laptop did not know is the card's owner at the office; of
two records with one card, a registration beats a card shown, then the smaller id, so the
outcome does not depend on which bundle came first. Same name in the same village goes to the
officers' review queue; a villager removed at the office stays removed.
"""

import uuid

from sqlalchemy import and_, delete, select, update

from learning.accounts.models import User
from learning.core.signals import villager_anonymised
from learning.core.time import utcnow
from learning.core.upsert import insert_ignore_rows
from learning.events.models import DuplicateCandidate, Participation, VillagerProfile
from learning.extensions import db
from learning.sync import records
from learning.sync.models import SyncRecord, SyncVersion, VillagerAlias
from quizzes.models import QuizAttempt

CANDIDATE_NAMESPACE = uuid.UUID("3e8f7b52-9c4d-4a61-8f0e-6b2d1c5a7e94")


class VillagerMatching:
    """The part of a merge that decides who a bundle's villagers are (mixed into Merger)."""

    def _card_owners(self) -> dict[str, tuple]:
        cards = sorted({i["content"]["card_code"] for i in self.items["villager"].values()})
        return {
            card: (user_id, name_key == "" and anonymised is None)
            for card, user_id, name_key, anonymised in db.session.execute(
                select(
                    VillagerProfile.card_code,
                    VillagerProfile.user_id,
                    VillagerProfile.name_key,
                    VillagerProfile.anonymised_at,
                ).where(VillagerProfile.card_code.in_(cards))
            )
        }

    def _villager_target(self, record_id, content, owners, live) -> uuid.UUID:
        """Which villager this record is: itself, or the known owner of the same card.

        Of two records with one card, a registration beats a card shown on a laptop that did
        not know it, then the smaller id: the same one whatever arrives first.
        """
        if record_id in self.aliases:
            return self.aliases[record_id]
        owner = owners.get(content["card_code"])
        if owner is None or owner[0] == record_id:
            return record_id
        owner_id, owner_claimed = owner
        if (owner_claimed, str(owner_id)) <= (bool(content.get("claimed")), str(record_id)):
            return owner_id
        self._hand_over(owner_id, record_id)
        live.pop(owner_id, None)
        return record_id

    def _alias(self, record_id: uuid.UUID, same_as: uuid.UUID, card: str) -> None:
        self.aliases[record_id] = same_as
        insert_ignore_rows(
            VillagerAlias,
            [{"user_id": record_id, "same_as_id": same_as, "card_code": card}],
            ["user_id"],
        )

    def _hand_over(self, old: uuid.UUID, new: uuid.UUID) -> None:
        """Make villager `old` an alias of `new` (arriving now): its records move to `new`."""
        moved_participations = list(
            db.session.scalars(select(Participation.id).where(Participation.user_id == old))
        )
        moved_attempts = list(
            db.session.scalars(select(QuizAttempt.id).where(QuizAttempt.user_id == old))
        )
        # The card must be free before the new villager is written with it.
        db.session.execute(delete(VillagerProfile.__table__).where(VillagerProfile.user_id == old))
        self._pending_handover.append((old, new, moved_participations, moved_attempts))
        self.aliases[old] = new

    def _finish_handover(self) -> None:
        for old, new, participations, attempts in self._pending_handover:
            db.session.execute(
                update(Participation.__table__)
                .where(Participation.user_id == old)
                .values(user_id=new)
            )
            db.session.execute(
                update(QuizAttempt.__table__).where(QuizAttempt.user_id == old).values(user_id=new)
            )
            db.session.execute(
                update(DuplicateCandidate.__table__)
                .where(DuplicateCandidate.existing_user_id == old)
                .values(existing_user_id=new)
            )
            db.session.execute(
                update(VillagerAlias.__table__)
                .where(VillagerAlias.same_as_id == old)
                .values(same_as_id=new)
            )
            db.session.execute(delete(User.__table__).where(User.id == old))
            db.session.execute(
                delete(SyncRecord.__table__).where(
                    SyncRecord.kind == "villager", SyncRecord.record_id == old
                )
            )
            card = db.session.scalar(
                select(VillagerProfile.card_code).where(VillagerProfile.user_id == new)
            )
            self._alias(old, new, card)
            for kind, ids in (("participation", participations), ("attempt", attempts)):
                known = (
                    set(
                        db.session.scalars(
                            select(SyncRecord.record_id).where(
                                SyncRecord.kind == kind, SyncRecord.record_id.in_(ids)
                            )
                        )
                    )
                    if ids
                    else set()
                )
                written = records.read(kind, known)
                for record_id, (content, _local) in written.items():
                    db.session.execute(
                        update(SyncRecord.__table__)
                        .where(and_(SyncRecord.kind == kind, SyncRecord.record_id == record_id))
                        .values(written_hash=records.content_hash(content))
                    )
        self._pending_handover = []

    def _suggest_duplicates(self) -> None:
        """Same name in the same village as a known villager: the officer's review queue.

        Every villager of the bundle is compared, not only new ones, and a pair is put on the
        participations of the villager with the larger id against the smaller: the queue is
        the same whichever bundle came first.
        """
        villagers = sorted({self.aliases.get(i, i) for i in self.items["villager"]}, key=str)
        named = VillagerProfile.anonymised_at.is_(None) & (VillagerProfile.name_key != "")
        profile = (VillagerProfile.user_id, VillagerProfile.name_key, VillagerProfile.village_code)
        mine = db.session.execute(
            select(*profile).where(VillagerProfile.user_id.in_(villagers), named)
        ).all()
        keys = {(name, village) for _user, name, village in mine if village}
        if not keys:
            return
        # Everyone with one of these names in one of these villages, in one query.
        namesakes: dict[tuple, set] = {}
        for user_id, name, village in db.session.execute(
            select(*profile).where(
                named,
                VillagerProfile.name_key.in_(sorted({n for n, _v in keys})),
                VillagerProfile.village_code.in_(sorted({v for _n, v in keys})),
            )
        ):
            namesakes.setdefault((name, village), set()).add(user_id)
        pairs = {
            tuple(sorted((user_id, other), key=str, reverse=True))  # (later, earlier)
            for user_id, name, village in mine
            for other in namesakes.get((name, village), ())
            if other != user_id
        }
        participations: dict = {}
        for participation_id, user_id in db.session.execute(
            select(Participation.id, Participation.user_id).where(
                Participation.user_id.in_(sorted({later for later, _e in pairs}, key=str))
            )
        ):
            participations.setdefault(user_id, []).append(participation_id)
        rows = [
            {
                "id": uuid.uuid5(CANDIDATE_NAMESPACE, f"{participation_id}:{earlier}"),
                "participation_id": participation_id,
                "existing_user_id": earlier,
                "status": "pending",
                "origin_device": self.office,
                "created_at": utcnow(),
            }
            for later, earlier in sorted(pairs, key=str)
            for participation_id in participations.get(later, ())
        ]
        insert_ignore_rows(DuplicateCandidate, rows, ["id"])


@villager_anonymised.connect
def _forget_villager(_sender, user_id=None, **_extra):
    """The office removed a villager's data: the versions laptops sent of it go too."""
    same = select(VillagerAlias.user_id).where(VillagerAlias.same_as_id == user_id)
    db.session.execute(
        update(SyncVersion.__table__)
        .where(
            SyncVersion.kind == "villager",
            (SyncVersion.record_id == user_id) | SyncVersion.record_id.in_(same),
        )
        .values(content=None)
    )

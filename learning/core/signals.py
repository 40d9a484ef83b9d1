"""Signals that let a room on the left make a room on its right react."""

from blinker import Namespace

_signals = Namespace()

# Sent by `quizzes` when an attempt's result is final; `events` and `villages` listen.
attempt_finalized = _signals.signal("attempt-finalized")
# Sent by `lessons` when a learner completes a lesson.
lesson_completed = _signals.signal("lesson-completed")
# Sent by `events` when a villager's personal data is removed; `sync` drops its copies.
villager_anonymised = _signals.signal("villager-anonymised")

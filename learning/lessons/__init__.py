"""Tracks, lessons (versioned, legally reviewed) and the completion of lessons."""

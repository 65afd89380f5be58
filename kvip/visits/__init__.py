"""Peer-review visits: teams, findings, observations, reports, offline sync."""

"""Questionnaires from young people, parents and staff, and record audits (issue 15):
instruments per edition, collection windows per assessment, anonymous responses."""

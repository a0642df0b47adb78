"""Telling people: the digest today; Slack alerts and e-mail delivery build on it."""

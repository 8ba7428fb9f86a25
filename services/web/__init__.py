"""The web service: the single-page app and the one domain in front of every API."""

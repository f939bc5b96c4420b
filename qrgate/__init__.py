"""The composition root: the one place that puts the gateway's API and the web pages together."""

"""``python -m bench web``: the webhook under load next to the protocol floor, and growth with the corpus."""

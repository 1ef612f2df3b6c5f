"""The registry: households, persons, sites, consent and the wish to leave."""

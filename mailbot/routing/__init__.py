"""Routing: decide what an inbound message is and what it changes."""

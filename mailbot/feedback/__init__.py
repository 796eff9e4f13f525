"""Requesters' ratings of the answers on their tickets."""

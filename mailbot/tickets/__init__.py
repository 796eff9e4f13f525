"""Tickets: numbering, deadlines on the working calendar, and the thread."""

"""mailbot: an email-driven IT service desk for a government committee."""

__version__ = "0.1.0"

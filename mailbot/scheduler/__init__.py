"""Scheduled jobs run by APScheduler inside the daemon process."""

"""The demo: embedded mail servers, sample mail and the `mailbot demo` run."""

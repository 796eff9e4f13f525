"""mailbot's test suite; a package so that conftest.py can import tests.servers."""

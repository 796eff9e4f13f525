"""The committee's annual satisfaction survey, Form No. 1."""

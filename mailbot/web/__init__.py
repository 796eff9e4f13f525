"""The small web application: the Form No. 1 survey and one-click ticket ratings."""

"""Period reports on tickets and the annual survey, written as XLSX, HTML or CSV."""

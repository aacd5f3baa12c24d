"""Layer 8, what people read: a student's feedback (text, Markdown, HTML), the class data,
``grades.csv``, Canvas's import CSV (``canvas``) and the class report, the regrade section, the
similarity report. Reads results
from disk; never runs a class (imports nothing from ``classroom`` or above).
"""

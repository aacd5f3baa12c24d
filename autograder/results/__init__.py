"""Layer 6, what a grade is: the typed results of checks and exercises, points and the
Gradescope ``results.json`` they make (``scoring``). Imports the layers below.
"""

"""Layer 6, what a grade is: the typed results of checks and exercises, points and the
Gradescope ``results.json`` they make (``scoring``), its schema, where a course's results are
stored (``store``: ``COURSE/convkit/``, never nbgrader's folders) and what lateness costs
(``late``: the nbgrader-shaped penalty plugin). Imports the layers below.
"""

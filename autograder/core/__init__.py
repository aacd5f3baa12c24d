"""Layer 1, what every layer shares: the declarations (``Assignment``, ``Exercise``, ``Check``),
what a check or a student's call may end in (``outcomes``), and how a notebook's code cells are read
(``notebook``). Imports nothing of the kit's but ``worker/`` (below every layer).
"""

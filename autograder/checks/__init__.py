"""Layer 2, the generic checking machinery an assignment declares its checks with: the float64
oracle and its error bound, the input strategies, the ``Task`` and the reusable properties, the
reference solutions, and how values are shown in messages. Imports ``core`` and ``worker/``.
"""

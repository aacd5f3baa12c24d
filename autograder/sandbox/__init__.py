"""Layer 5, the grader's side of the isolation boundary: the zygote client, bubblewrap, the
transport and its limits (``isolation``), the deadlines on a process's waiting rather than on wall
time (``waiting``), and the ``Student`` proxy a check calls (``student``).
The other side is ``worker/`` (a separate package, mounted alone in the sandbox). Imports the
layers below.
"""

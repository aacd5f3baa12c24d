"""Layer 4, a submission before anything of it runs: which file of an upload is graded (one rule),
reading a module or a notebook into cells, and the static scan for code that could switch the
guard off (``tamper``). Imports the layers below (``core``, ``checks``, ``assignments``).
"""

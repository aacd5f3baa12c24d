"""Layer 9, a class run: the course layout and its records, the run itself (``run``) on local
processes or a Dask cluster (``cluster``), due dates, extensions and released hidden checks
applied to the collected results (``deadlines``), nbgrader's gradebook (``gradebook``) and
importing an LMS archive (``collect``). Imports the layers below.
"""

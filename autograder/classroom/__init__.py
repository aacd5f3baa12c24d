"""Layer 9, a class run: the course layout and its records, the run itself (``run``) on local
processes or a Dask cluster (``cluster``), nbgrader's gradebook (``gradebook``) and importing an
LMS archive (``collect``). Imports the layers below.
"""

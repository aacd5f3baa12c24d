"""The student's side of the boundary.

Everything in this sub-package runs where student code runs: inside the isolated worker (where it is
mounted on its own, without the rest of the kit) and, for a student's self-check, inside the
student's own notebook. It therefore holds nothing secret: no checks, no oracle, no solutions.
Modules here import each other relatively only, so the package works under any name.
"""

"""Layer 10, other graders' formats: Gradescope's autograder bundle and its run. Imports the
layers below.
"""

"""Layer 10, other graders' machinery: Gradescope's autograder bundle and its run, and
nbgrader's extension points (``nbgrader/``: the autograde step that grades with the kit's
engine, the feedback step that keeps hidden checks back, the export plugins). Imports the layers
below.
"""

"""nbgrader's extension points, filled by the kit (configured in a course's ``nbgrader_config.py``):

- ``autograde.GradeWithConvkit``: the preprocessor ``nbgrader autograde`` runs in place of
  nbgrader's ``Execute``, so that nbgrader's gradebook, formgrader, feedback and export carry the
  kit's sandboxed grades and messages (no Jupyter kernel ever runs a student's code);
- ``autograde.HideUnreleased``: the ``generate_feedback`` preprocessor that keeps hidden checks'
  details out of a student's feedback until the instructor releases them;
- ``export.WideExport`` / ``export.CanvasExport``: ``nbgrader export --exporter=...`` plugins.

The late-penalty plugin nbgrader's ``AssignLatePenalties`` calls lives lower, in
``results.late``, because the class run applies the same policy.
"""

# The demo class's nbgrader settings: its name, which the class report puts in its title.
c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = "convkit demo class"
# The kit's class-run settings (autograder/core/settings.py); flags and make variables override.
# c.Convkit.jobs = 4
# c.Convkit.isolation = "auto"

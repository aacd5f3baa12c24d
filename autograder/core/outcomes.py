"""What a student's call may end in, besides a value: the exceptions the sandbox's ``Student``
raises and the checks and the runner catch. Here, below both, so that a check can name them
without knowing how the call was made (in this process or in an isolated worker)."""
from __future__ import annotations


class StudentRaised(Exception):
    def __init__(self, name: str, info: dict):
        super().__init__(f"{info.get('type')}: {info.get('message')}")
        self.name, self.info = name, info


class Missing(Exception):
    """The submission does not define the name."""


class ForbiddenUsed(BaseException):
    """The student's function called a forbidden routine (``args[0]`` names it)."""


class WorkerLost(BaseException):
    """The student's code hung, crashed the process or broke the protocol (``args[0]`` says how)."""


class WorkerHung(WorkerLost):
    """The student's code ran past its time limit (an endless loop, most likely)."""

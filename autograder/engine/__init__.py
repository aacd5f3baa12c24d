"""Layer 7, grading one submission: the example streams every student shares, the request
plans and their prefetching, the runner that drives an exercise's checks and parts, the notes on
a submission as a whole, preparing a class run's bundle, and ``grade`` (load -> isolate -> check
-> score). Imports the layers below.
"""

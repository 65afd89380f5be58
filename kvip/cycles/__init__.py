"""The annual cycle: cycles, assessments (self-assessment) and ratings."""

"""Students the advisor trains itself from the teacher's outputs."""

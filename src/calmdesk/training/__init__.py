"""Django app: practice sessions with the simulator, mentor review, progress (issue 7)."""

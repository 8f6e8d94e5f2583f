"""Reproduce: plan which notebooks are due, run them with nbval, record verdicts in the store."""

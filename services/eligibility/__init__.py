"""Eligibility: beneficiaries, households, rights, card colour, ETM, code FSE, prior approvals."""

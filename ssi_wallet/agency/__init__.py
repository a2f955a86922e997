"""Issuer and verifier agencies: configuration, issuance, policies, workflows, case store."""

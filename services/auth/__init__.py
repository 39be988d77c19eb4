"""Auth: practitioner accounts, passwords, TOTP MFA, assistants, sessions and tokens, security audit."""

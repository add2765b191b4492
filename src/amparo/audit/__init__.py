"""The audit trail: every read and write of personal data, in a hash chain nobody can quietly rewrite."""

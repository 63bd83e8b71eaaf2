"""The pages of accountability."""

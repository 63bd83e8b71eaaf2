"""Models of the quotas app (DESIGN section 4); built by its own issue."""

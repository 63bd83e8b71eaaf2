"""Models of the accountability app (DESIGN section 4); built by its own issue."""

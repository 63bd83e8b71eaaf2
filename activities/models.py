"""Models of the activities app (DESIGN section 4); built by its own issue."""

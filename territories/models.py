"""Models of the territories app (DESIGN section 4); built by its own issue."""

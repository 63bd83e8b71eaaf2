"""The quota pages: the manager's grid (``grid``) and the quota pages (``pages``)."""

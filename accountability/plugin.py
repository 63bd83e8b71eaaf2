"""What accountability adds to the core (see ``spm.plugins``)."""

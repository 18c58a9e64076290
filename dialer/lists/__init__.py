"""List management (pure): which lists a claim may take leads from and in what mix, and the recycle rules."""

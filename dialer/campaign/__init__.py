"""Campaign domain (pure): campaign model, lead rules, calling windows, retry policy, import parsing."""

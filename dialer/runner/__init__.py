"""Campaign runners: per campaign, pace → claim → originate → apply outcomes (the I/O shell around the pure cores)."""

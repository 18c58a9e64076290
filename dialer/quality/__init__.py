"""Quality evaluations (QA scorecards): a campaign's scorecard, and the score of an evaluation against it (pure)."""

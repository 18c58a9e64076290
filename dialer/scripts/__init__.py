"""Agent scripts: a campaign's template, filled in with the lead and the agent, escaped for the page."""

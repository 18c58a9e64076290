"""Call recording: campaign modes, the files Asterisk writes, their rows, the agent's controls and the purge."""

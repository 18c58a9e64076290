"""Call control: the agent's buttons on a live call (hang up, hold/resume, DTMF, blind and warm transfers, 3-way),
the legs of every call, and manual dial.

* ``core``       -- pure: the legs and state of one call, and the AMI commands each button needs
* ``compliance`` -- the dialer's own rules (DNC, calling window, number) for numbers dialled or added by hand
* ``service``    -- finds the agent's call, resolves targets, sends the commands, writes the legs
"""

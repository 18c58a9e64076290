"""Asterisk Manager Interface: the only package that imports panoramisk.

* ``protocol``   -- pure, incremental AMI framing: ``AmiParser``, ``AmiMessage``, ``encode_message``, ``sanitize_value``
* ``events``     -- typed frozen events: the only shape AMI has outside this package
* ``parsing``    -- ``parse_event``: one ``AmiMessage`` into one typed event (or None for events we do not use)
* ``actions``    -- ``OriginateRequest``/``OriginateResult`` and the client's errors
* ``client``     -- ``AmiClient``: one supervised connection, deadlines on every action, one ordered event stream
* ``transcript`` -- reader of recorded AMI sessions (the ``ami-traces`` format)
"""

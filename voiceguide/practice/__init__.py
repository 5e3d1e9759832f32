"""The practice wing: a self-care plan over weeks, reminders, a history, progress and the
therapist's notes. It stands beside the pipeline and calls its public functions; nothing in
the pipeline imports it.

- ``home``: where the user's files live (``VOICEGUIDE_HOME``, or the platform's folders);
- ``plan``: the plan file (readable, editable YAML) and how a new one is built;
- ``notes``: the therapist's notes, and the sessions they change;
- ``sessions``: names such as ``today`` turned into sessions;
- ``history``: the practice history, one SQLite file that migrates forward;
- ``record``: what a ``play`` adds to the history;
- ``reminders``: the plan as an iCalendar file;
- ``progress``: the last weeks against the plan, and the habit strength.
"""

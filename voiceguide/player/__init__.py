"""The player: eyes-free playback of a session (or an exported MP3) with pause, skip and
volume. ``sources`` supply samples (rendered on demand, as the speech becomes ready),
``core`` decides what plays when (against a clock that tests can control), ``output`` is
the sound device behind a small interface (its backends in ``backends``), ``system`` holds
what playing does to the whole process, and ``terminal`` reads keys and draws the status.
"""

"""voiceguide: turn written self-care technique scripts into voice-guided audio sessions.

The package is a pipeline of plain stages, one module each::

    loader ─▶ Script ─steps─▶ Steps ─speech─▶ Timeline ─mixer─▶ blocks ─▶ sinks / player / export

Values passed between stages are frozen dataclasses; audio inside the pipeline is float32
numpy in [-1, 1] with its sample rate beside it.
"""

__version__ = "0.1.0"

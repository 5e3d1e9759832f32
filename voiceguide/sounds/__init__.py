"""The sounds voiceguide makes itself: background music and cues (bells, ticks, breaths).

Everything is generated in code, so it is royalty-free by construction and reproducible
from a seed. Nothing here reads files except ``filemusic``, for a user's own music.
"""

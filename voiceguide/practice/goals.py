"""The goals a plan can have, and the techniques that fit each, the best fits first.

How a plan is built from them is the composer's work (``composer.build``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    name: str
    title: str
    about: str
    techniques: tuple[str, ...]  # library names, the best fits first


GOALS = {
    g.name: g
    for g in (
        Goal(
            "stress-relief",
            "Stress relief",
            "Slow, soothing work for the neck, the face and the shoulders, where tension gathers.",
            (
                "neck-tension-release",
                "facial-massage",
                "upper-trapezius-release",
                "childs-pose",
                "warm-compress",
                "tennis-ball-foot-massage",
                "basic-self-massage",
            ),
        ),
        Goal(
            "injury-prevention",
            "Injury prevention",
            "Keep muscles supple and joints moving: stretches, rolling and leg work.",
            (
                "hamstring-stretch",
                "spinal-mobility",
                "foam-roller",
                "ankles-and-legs-massage",
                "basic-self-massage",
                "single-knee-to-chest",
                "childs-pose",
            ),
        ),
        Goal(
            "rehabilitation",
            "Rehabilitation",
            "Gentle, low-effort movement and warmth while recovering; check each one with your therapist.",
            (
                "single-knee-to-chest",
                "spinal-mobility",
                "warm-compress",
                "childs-pose",
                "ankles-and-legs-massage",
                "hamstring-stretch",
            ),
        ),
        Goal(
            "back-pain",
            "Back pain",
            "Ease and mobilise the back: resting stretches, gentle mobility and ball or roller release.",
            (
                "childs-pose",
                "spinal-mobility",
                "single-knee-to-chest",
                "tennis-ball-back-wall",
                "foam-roller",
                "chi-ball",
                "spiky-ball",
                "hamstring-stretch",
                "warm-compress",
            ),
        ),
        Goal(
            "partner-massage",
            "Partner massage",
            "A full back massage to give a partner, with the shoulders, neck and scalp.",
            ("partner-back-massage",),
        ),
    )
}

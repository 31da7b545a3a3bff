"""CI form of the class-id collision census (class_collisions.py): no
class loads with another sender's value, and no load changes a class
loaded before it."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import class_collisions  # noqa: E402
from soak_knob import soak_seconds  # noqa: E402


def test_no_class_collisions_across_senders():
    senders, tried, collisions, damaged = class_collisions.census(
        8, deadline=None if not soak_seconds() else __import__("time").monotonic() + soak_seconds())
    print("class collisions: %d senders, %d classes, %d collisions, %d damaged"
          % (senders, tried, collisions, damaged))
    assert (collisions, damaged) == (0, 0)
    assert tried >= 8 * 9

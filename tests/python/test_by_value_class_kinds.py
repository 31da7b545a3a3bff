"""More kinds of classes made at run time, by value, round-tripped."""
import dataclasses
import enum
import pickle
import typing

import pytest

import anethum

PROTOCOLS = [2, 3, 4, 5]


def roundtrip(obj, protocol):
    return pickle.loads(anethum.dumps(obj, protocol))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_typed_dict(protocol):
    def make():
        class Movie(typing.TypedDict):
            title: str
            year: int
        return Movie
    Movie = roundtrip(make(), protocol)
    assert Movie(title="x", year=1) == {"title": "x", "year": 1}
    assert typing.get_type_hints(Movie) == {"title": str, "year": int}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_set_name_runs_for_descriptors(protocol):
    def make():
        class Named:
            def __set_name__(self, owner, name):
                self.name = name

            def __get__(self, obj, owner=None):
                return self.name

        class Owner:
            attribute = Named()
        return Owner
    Owner = roundtrip(make(), protocol)
    assert Owner().attribute == "attribute"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_flag_members_keep_identity(protocol):
    def make():
        class Perm(enum.IntFlag):
            R = 4
            W = 2
            X = 1
        return Perm
    Perm = make()
    loaded_cls, loaded_member = roundtrip((Perm, Perm.R), protocol)
    assert loaded_member is loaded_cls.R
    assert loaded_cls(6) == loaded_cls.R | loaded_cls.W


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_dataclass_field_sentinels_keep_identity(protocol):
    def make():
        @dataclasses.dataclass
        class Point:
            x: int
            y: typing.ClassVar[int] = 0
        return Point
    Point = roundtrip(make(), protocol)
    fields = Point.__dataclass_fields__
    assert fields["x"]._field_type is dataclasses._FIELD
    assert fields["y"]._field_type is dataclasses._FIELD_CLASSVAR
    assert [f.name for f in dataclasses.fields(Point)] == ["x"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_singleton_types_stay_pickles(protocol):
    data = anethum.dumps([type(None), type(...), type(NotImplemented)], protocol)
    assert data == pickle.dumps([type(None), type(...), type(NotImplemented)], protocol)
    assert pickle.loads(data) == [type(None), type(...), type(NotImplemented)]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_class_identity_across_pickles(protocol):
    def make():
        class Local:
            pass
        return Local
    Local = make()
    first = roundtrip(Local, protocol)
    assert roundtrip(Local, protocol) is first
    assert isinstance(roundtrip(Local(), protocol), first)


ALIAS_CHECK = """
import pickle, sys
Flag, Plain = pickle.loads(sys.stdin.buffer.read())
assert list(Flag.__members__) == ["R", "W", "X", "RW"], list(Flag.__members__)
assert Flag.RW == Flag.R | Flag.W and Flag(6) is Flag.RW
assert list(Plain.__members__) == ["a", "b"] and Plain.b is Plain.a
print("ok")
"""


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_enum_aliases_survive_a_new_process(protocol):
    import subprocess
    import sys

    def make():
        class Flag(enum.IntFlag):
            R = 4
            W = 2
            X = 1
            RW = 6

        class Plain(enum.Enum):
            a = 1
            b = 1
        return Flag, Plain
    data = anethum.dumps(make(), protocol)
    result = subprocess.run([sys.executable, "-c", ALIAS_CHECK], input=data,
                            capture_output=True, timeout=60)
    assert result.stdout.strip() == b"ok", result.stderr.decode()[-2000:]

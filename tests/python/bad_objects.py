"""Importable objects whose pickling misbehaves, for the error tests."""


class CustomError(Exception):
    pass


class BadReduce:
    def __init__(self, result):
        self.result = result

    def __reduce__(self):
        return self.result


class RaisingReduce:
    def __reduce__(self):
        raise CustomError("reduce failed")


class RaisingReduceEx:
    def __reduce_ex__(self, protocol):
        raise CustomError("reduce_ex failed")


class RaisingGetstate:
    def __getstate__(self):
        raise CustomError("getstate failed")


class Mutator:
    """Mutates ``target`` (a list, dict or set) while being pickled."""

    def __init__(self, target, how):
        self.target, self.how = target, how

    def __hash__(self):
        return 7

    def __reduce__(self):
        if self.how == "grow":
            if isinstance(self.target, list):
                self.target.extend(range(5))
            elif isinstance(self.target, dict):
                for i in range(5):
                    self.target["new%d" % i] = i
            else:
                self.target.update(range(1000, 1005))
        else:
            self.target.clear()
        return (Mutator.__new__, (Mutator,))

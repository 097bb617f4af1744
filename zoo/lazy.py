"""`Lazy`: a callable named by "module:attribute", imported on first use.

Why: the registry describes every architecture (sizes, scopes, parameter counts) as pure data, and only the code that
builds a network imports TensorFlow, tf-slim or Keras; `import zoo.registry; list_models()` imports none of them.
"""
from __future__ import annotations

import functools
import importlib
import inspect
from typing import Any, Callable


class Lazy:
    """`Lazy("pkg.module:name", **fixed)` behaves as `functools.partial(pkg.module.name, **fixed)`, imported when
    first called or inspected. `Lazy.made_by("pkg.module:factory", *args)` is the callable `factory(*args)` returns.
    Attributes of the target (e.g. a slim net's `default_image_size`) read through; equal targets compare equal."""

    def __init__(self, target: str, **fixed: Any):
        if ":" not in target:
            raise ValueError(f"Lazy target {target!r} must be 'module:attribute'.")
        self.target, self.fixed = target, dict(fixed)
        self.args: tuple = ()
        self._factory = False

    @classmethod
    def made_by(cls, factory: str, *args: Any) -> "Lazy":
        lazy = cls(factory)
        lazy.args, lazy._factory = args, True
        return lazy

    @functools.cached_property
    def resolved(self) -> Callable:
        module, _, attribute = self.target.partition(":")
        obj: Any = importlib.import_module(module)
        for part in attribute.split("."):
            obj = getattr(obj, part)
        if self._factory:
            return obj(*self.args)
        if not self.fixed:
            return obj
        wrapped = functools.partial(obj, **self.fixed)
        if hasattr(obj, "default_image_size"):
            wrapped.default_image_size = obj.default_image_size  # type: ignore[attr-defined]
        return wrapped

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolved(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("target", "fixed", "args", "resolved"):
            raise AttributeError(name)
        return getattr(self.resolved, name)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.resolved)

    def _key(self) -> tuple:
        return self.target, self.args, self._factory, tuple(sorted(self.fixed.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lazy) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        extra = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.fixed.items()]
        return f"Lazy({self.target}{'(' + ', '.join(extra) + ')' if extra else ''})"

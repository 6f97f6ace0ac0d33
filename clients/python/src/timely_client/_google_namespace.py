"""google.api and google.rpc for the generated modules: googleapis-common-protos' when it is installed,
otherwise the copies this package carries (timely_client/_googleapis/google, from `buf generate`), added
to the google namespace package. So the package installs nothing top-level under google/ that could
clash with googleapis-common-protos (Debian 12 has no package of it)."""

from __future__ import annotations

import importlib.util
import os

import google  # the namespace package that protobuf's google.protobuf lives in


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:
        return True


if _missing("google.api") or _missing("google.rpc"):
    _bundled = os.path.join(os.path.dirname(__file__), "_googleapis", "google")
    if os.path.isdir(_bundled) and _bundled not in list(google.__path__):
        google.__path__.append(_bundled)

"""Short names for the values of the generated enums: `SenderType.AI_AGENT` is `SenderType.SENDER_TYPE_AI_AGENT`."""

from __future__ import annotations

import re
from typing import Any

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper


class ShortNamedEnum(EnumTypeWrapper):
    """A generated enum (`Name`, `Value`, `items`, its values under their full names) whose values are also
    attributes under their names without the enum's prefix, as the JS SDK names them: `SenderType.AI_AGENT`,
    `ConversationStatus.OPEN`. Read from the enum's descriptor, so a value added to the contract has both."""

    def __init__(self, enum_type: Any) -> None:
        super().__init__(enum_type)
        self._prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_type.name).upper() + "_"

    def __getattr__(self, name: str) -> int:
        try:
            return super().__getattr__(name)  # type: ignore[no-any-return]
        except AttributeError:
            value = self._enum_type.values_by_name.get(self._prefix + name)
            if value is None:
                raise
            return value.number  # type: ignore[no-any-return]


def with_short_names(namespace: dict[str, Any]) -> None:
    """Replaces each generated enum of `namespace` (a module's globals) by one that also takes short names."""
    for name, value in list(namespace.items()):
        if type(value) is EnumTypeWrapper:
            namespace[name] = ShortNamedEnum(value.DESCRIPTOR)

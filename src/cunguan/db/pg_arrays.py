"""Flat lists of str or int sent to PostgreSQL as array parameters, fast.

Set-based statements take their keys as one array (thousands of request nos., account nos.,
ids): psycopg's text dumper for lists dumps and quotes element by element in Python, ~1.5 µs an
element — about a tenth of the custody set-based calls' client time. A list whose elements are
all plain ``str`` or all plain ``int`` is written here in one join (~0.3 µs an element); anything
else (None, nested lists, enums, bools, mixed) goes to psycopg's own dumper unchanged.
"""

from typing import Any

from psycopg.types.array import ListDumper

#: Inside a double-quoted array element only the double quote and the backslash need escaping.
_ESCAPES = str.maketrans({'"': '\\"', "\\": "\\\\"})


class FlatListDumper(ListDumper):
    def dump(self, obj: list[Any]) -> bytes | None:
        kinds = {type(item) for item in obj}
        if kinds == {str}:
            joined = "".join(obj)
            if '"' in joined or "\\" in joined:
                obj = [item.translate(_ESCAPES) for item in obj]
            return ('{"' + '","'.join(obj) + '"}').encode()
        if kinds == {int}:
            return ("{" + ",".join(map(str, obj)) + "}").encode()
        return super().dump(obj)  # type: ignore[return-value]


def use_flat_list_dumper(dbapi_connection: Any, _record: Any) -> None:
    """SQLAlchemy ``connect`` listener: this connection dumps flat lists fast."""
    dbapi_connection.adapters.register_dumper(list, FlatListDumper)

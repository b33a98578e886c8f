"""Text PostgreSQL can store.

PostgreSQL's text refuses NUL, and UTF-8 has no encoding for an unpaired surrogate ("\\ud800"
in JSON decodes to one). DRF's CharField refuses both; free-form JSON (CI attributes, import
rows) is checked with these.
"""


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def all_storable(value) -> bool:
    """Every string in ``value`` (lists, tuples and dicts, keys included) is :func:`storable`."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not storable(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return True

"""Exceptions and warnings as one line of text, for messages to the user."""


def first_line(exc):
    """Return the first non-empty line of a message, or its type's name.

    Parameters
    ----------
    exc : BaseException
        An exception or a warning; its ``str`` is the message.

    Returns
    -------
    line : str
        The message's first line with text, stripped; the type's name where
        the message is blank.

    Examples
    --------
    >>> first_line(ValueError("\\nbad value\\nmore detail"))
    'bad value'
    >>> first_line(KeyError())
    'KeyError'
    """
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0].strip() if lines else type(exc).__name__

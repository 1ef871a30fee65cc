class UserError(Exception):
    """A problem the user can fix. The CLI prints it as one sentence, without a traceback."""

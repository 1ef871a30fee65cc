class UserError(Exception):
    """A problem the user can fix. Command lines print it as one sentence, without a traceback, and exit
    with EXIT_CODE."""
    exit_code = 2

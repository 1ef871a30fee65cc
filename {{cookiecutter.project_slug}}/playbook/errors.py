# One error type for the training commands and the device runtime they hand over to.
from stt_device.errors import UserError  # noqa: F401

"""The Matrix channel (matrix-nio): a bot account that talks in direct chats, end-to-end encrypted.

``voorkomen matrix`` (``bot/cli/matrix.py``) builds a :class:`MatrixChannel`
from the settings and the app's service and key-value store. This is the only
package that imports ``nio``.
"""

from bot.channels.matrix.channel import MatrixChannel, MatrixLoginError
from bot.channels.matrix.config import MatrixConfig, MatrixConfigError
from bot.channels.matrix.ratelimit import RetryPolicy

__all__ = [
    "MatrixChannel",
    "MatrixConfig",
    "MatrixConfigError",
    "MatrixLoginError",
    "RetryPolicy",
]

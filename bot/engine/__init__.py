"""The pure conversation engine: ``state + input -> new state + replies + effects``.

Nothing in this package does I/O; channels, storage and rendering are adapters.
"""

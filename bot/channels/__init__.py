"""Channel adapters: each turns its SDK's messages into ``Incoming`` values and
renders ``Reply`` values its own way. Channels never touch the database."""

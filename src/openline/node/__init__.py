"""The runtime: a node's home folder, its application commands, federation and senders."""

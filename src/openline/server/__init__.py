"""The composition root: builds the app of a node (federation, officers' API, console,
senders, background work) and serves it. Nothing below imports it."""

"""The duty officers' web console, served by each node under /console."""

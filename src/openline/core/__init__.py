"""The pure core: no network, no disk, no clock. Time and bytes come in as arguments."""

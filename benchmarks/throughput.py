"""Placeholder: replaced by the delivery benchmark."""

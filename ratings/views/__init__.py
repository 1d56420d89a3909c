"""The ratings app's owner pages: one module per feature. Views parse, call selectors or services, render."""

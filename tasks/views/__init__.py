"""The tasks app's template pages: one module per feature. Views parse, call one selector or service, render."""

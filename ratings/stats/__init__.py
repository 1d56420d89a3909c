"""Pure statistics on numpy arrays: no Django import (checked by import-linter)."""

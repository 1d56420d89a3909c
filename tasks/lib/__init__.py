"""Pure helpers of the tasks app (Markdown, pairing math): no Django import (checked by import-linter)."""

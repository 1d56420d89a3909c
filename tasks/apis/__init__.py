"""The tasks app's REST API: one module per feature, one APIView per operation."""

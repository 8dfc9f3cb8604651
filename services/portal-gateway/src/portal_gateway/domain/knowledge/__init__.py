"""The knowledge base (SPEC §11): knowledge owns articles, suggestions and the report."""

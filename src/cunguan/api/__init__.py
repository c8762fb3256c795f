"""The platform API edge: HTTP endpoints, hosted pages and their signing (issue 4)."""

"""The Books contract: what the client sends and the sandbox answers, checked against the
vendor's OpenAPI documents (read from ../shared/reference, never copied), plus a fuzz run."""

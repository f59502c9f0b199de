"""The transport layer: sessions (auth header, timeouts, retries, rate limits), JSON that keeps
decimals exact, and the redaction that keeps the key out of errors. It knows no endpoint."""

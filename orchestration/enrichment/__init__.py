"""Enrichment: geo per distinct IP, device per distinct user agent, traffic classification rules."""

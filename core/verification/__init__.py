"""Verification (核对) of a household's economic status: requests, reports and the adapter
contract (adapters), and their store."""

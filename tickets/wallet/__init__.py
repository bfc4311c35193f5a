"""Wallet adapters: Apple Wallet (.pkpass, APNs) and Google Wallet (REST, Save links)."""
